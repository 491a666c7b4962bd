import Foundation
import GRDB
import PolylensModel

extension PolylensFile {
    /// The numbers readers size memory from, checked in SQL before anything is allocated: a layer count, dimension
    /// or neuron count outside what any model Polylens reads can have (LlamaConfig.Limits), or one that is not an
    /// integer at all, makes the file unsound. Each problem names the table and the row.
    func numberProblems(_ db: Database) throws -> [String] {
        let (layers, dim, neurons) = (LlamaConfig.Limits.layers, LlamaConfig.Limits.dim, LlamaConfig.Limits.hiddenDim)
        // (table, row key as SQL, [(column, lowest, highest)]); embeddings are layer 0, so layer ≤ layers.
        let checks: [(String, String, [(String, Int, Int)])] = [
            ("lens_prompts", "id", [("layers", 1, layers + 1), ("dim", 1, dim), ("first_position", 0, LlamaConfig.Limits.positions)]),
            ("lens_states", "prompt_id || ', layer ' || layer", [("layer", 0, layers)]),
            ("summaries", "document_id || ', ' || pooling", [("layers", 1, layers + 1), ("dim", 1, dim)]),
            ("neuron_stats", "run_id || ', ' || language || ', layer ' || layer", [("layer", 0, layers), ("neurons", 1, neurons)]),
            ("language_states", "run_id || ', ' || language || ', layer ' || layer", [("layer", 0, layers), ("dim", 1, dim)]),
            ("unembedding", "run_id", [("vocab", 1, LlamaConfig.Limits.vocabulary), ("dim", 1, dim)]),
        ]
        var problems: [String] = []
        for (table, key, columns) in checks where try db.tableExists(table) {
            for (column, low, high) in columns {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT CAST(\(key) AS TEXT) AS k, quote(\(column)) AS v FROM \(table)
                    WHERE typeof(\(column)) != 'integer' OR \(column) NOT BETWEEN \(low) AND \(high) LIMIT 20
                    """)
                for row in rows.map({ StoredRow($0, of: table) }) {
                    let k = (try row["k"] as String? ?? "?").printableExcerpt(limit: 80)
                    let v = (try row["v"] as String? ?? "?").printableExcerpt(limit: 40)
                    problems.append("\(table)(\(k)).\(column) = \(v), outside \(low)…\(high)")
                }
            }
        }
        // Language names key every analysis and every output line: a 10 KB one is an attack, not a name.
        for table in ["documents", "neuron_stats"] {
            for row in try Row.fetchAll(db, sql: """
                SELECT DISTINCT substr(CAST(language AS TEXT), 1, 40) AS head, length(CAST(language AS TEXT)) AS n, typeof(language) AS t
                FROM \(table) WHERE typeof(language) != 'text' OR length(CAST(language AS BLOB)) > \(Self.maxLanguageName) LIMIT 20
                """).map({ StoredRow($0, of: table) }) {
                problems.append("\(table): language \((try row["head"] as String? ?? "").printableExcerpt(limit: 40))… is \(try row["t"] as String? ?? "?") of \(try row["n"] as Int? ?? 0) characters, not a language name")
            }
        }
        return problems
    }

    /// The longest language name (in UTF-8 bytes) a reader accepts.
    static let maxLanguageName = 256
}
