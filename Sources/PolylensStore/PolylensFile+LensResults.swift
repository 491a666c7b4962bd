import Foundation
import GRDB
import PolylensEngine
import PolylensModel
import PolylensTokenizer

/// The logit lens computed at ingest (schema 3): the run's token sets and each prompt's results.
/// A file from before schema 3 opened read-only has neither table; it reads as having none.
extension PolylensFile {
    /// Stores the run's token sets; a resumed ingest must bring exactly the sets already stored, since the
    /// stored set masses refer to them by ordinal.
    public func storeTokenSets(run: Int64, _ sets: [TokenSet]) throws {
        try writing("store the token sets of") { db in
            try requireRun(run, db)
            let stored = try tokenSets(run: run, db)
            if !stored.isEmpty {
                guard stored == sets else {
                    throw PolylensFileError("\(path): run \(run) already holds other token sets (\(stored.map(\.name).joined(separator: ", "))); one run's lens results count one set of tokens")
                }
                return
            }
            for (ordinal, s) in sets.enumerated() {
                try db.execute(sql: """
                    INSERT INTO token_sets (run_id, ordinal, name, kind, language, source, count, token_ids)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run, ordinal, s.name, s.kind, s.language, s.source, s.ids.count, BlobCodec.encode(s.ids, filter: .shuffle)])
            }
        }
    }

    /// The run's token sets in ordinal order (the order of `set_mass`); every id is checked against the run's vocabulary.
    public func tokenSets(run: Int64) throws -> [TokenSet] {
        try guarded("read the token sets of") { db in try tokenSets(run: run, db) }
    }

    /// Whether the run holds lens results computed at ingest.
    public func hasLensResults(run: Int64) throws -> Bool {
        try guarded("read the lens results of") { db in
            guard try db.tableExists("lens_results") else { return false }
            return try Bool.fetchOne(db, sql: """
                SELECT 1 FROM lens_results r JOIN lens_prompts p ON p.id = r.prompt_id WHERE p.run_id = ? LIMIT 1
                """, arguments: [run]) == true
        }
    }

    /// Lens results of the run's prompts in prompt order, optionally of one source and/or target language (names
    /// matched without case).
    public func lensResults(run: Int64, source: String? = nil, target: String? = nil) throws -> [LensPromptResult] {
        try guarded("read the lens results of") { db in
            guard try db.tableExists("lens_results") else { return [] }
            let sets = try Int.fetchOne(db, sql: "SELECT count(*) FROM token_sets WHERE run_id = ?", arguments: [run]) ?? 0
            return try Row.fetchAll(db, sql: """
                SELECT p.source, p.target, p.item_key, p.tokens, p.first_position, r.*
                FROM lens_results r JOIN lens_prompts p ON p.id = r.prompt_id
                WHERE p.run_id = ?1 AND (?2 IS NULL OR p.source = ?2 COLLATE NOCASE) AND (?3 IS NULL OR p.target = ?3 COLLATE NOCASE)
                ORDER BY p.id
                """, arguments: [run, source, target]).map { row in try lensResult(row, sets: sets) }
        }
    }

    /// `joined`: a lens_results row with its prompt's source, target, item_key, tokens and first_position, which
    /// lens_results has no columns of the same name as.
    func lensResult(_ joined: Row, sets expectedSets: Int) throws -> LensPromptResult {
        let row = StoredRow(joined, of: "lens_results"), prompt = StoredRow(joined, of: "lens_prompts")
        let id: Int64 = try row["prompt_id"]
        let name = "lens_results(prompt \(id))"
        let layers: Int = try row["layers"], positions: Int = try row["positions"], k: Int = try row["top_k"], sets: Int = try row["sets"]
        let tokens = try decode(prompt.raw("tokens"), "lens_prompts(\(id)).tokens").int32s()
        let first: Int = try prompt["first_position"]
        // Numbers from the row are bounded before arithmetic on them: an absurd one is an error, not an overflow trap.
        guard (0..<tokens.count).contains(first), (1...LlamaConfig.Limits.layers + 1).contains(layers), (1...(1 << 20)).contains(k) else {
            throw PolylensFileError("\(path): \(name) claims \(layers) layers and top \(k) from position \(first) of \(tokens.count) tokens")
        }
        guard positions == tokens.count - 1 - first, sets == expectedSets else {
            throw PolylensFileError("\(path): \(name) has \(positions) positions and \(sets) token sets; its prompt has \(tokens.count - 1 - first) positions and the run \(expectedSets) token sets")
        }
        func column(_ c: String, _ shape: [Int]) throws -> Blob {
            let blob = try decode(row.raw(c), "\(name).\(c)")
            guard blob.shape == shape else { throw PolylensFileError("\(path): \(name).\(c) has shape \(blob.shape), not \(shape)") }
            return blob
        }
        let rows = layers * positions
        let columns = LensColumns(
            rows: rows, topK: k, sets: sets,
            topIds: try column("top_ids", [layers, positions, k]).int32s(),
            topProbabilities: try column("top_probabilities", [layers, positions, k]).floats(),
            correctProbability: try column("correct_probability", [layers, positions]).floats(),
            correctRank: try column("correct_rank", [layers, positions]).int32s(),
            entropy: try column("entropy", [layers, positions]).floats(),
            setMass: try column("set_mass", [layers, positions, sets]).floats())
        return try LensPromptResult(source: prompt["source"], target: prompt["target"], itemKey: prompt["item_key"], tokens: tokens,
                                firstPosition: first, layers: layers, columns: columns)
    }

    func tokenSets(run: Int64, _ db: Database) throws -> [TokenSet] {
        guard try db.tableExists("token_sets") else { return [] }
        let vocab = try vocabularySize(run: run, db)
        return try Row.fetchAll(db, sql: "SELECT * FROM token_sets WHERE run_id = ? ORDER BY ordinal", arguments: [run])
            .map { StoredRow($0, of: "token_sets") }.map { row in
            let id: Int64 = try row["id"], name: String = try row["name"]
            let ids = try decode(row.raw("token_ids"), "token_sets(\(id), \(name)).token_ids").int32s()
            if let vocab, let bad = ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
                throw PolylensFileError("\(path): token_sets row \(id) (\(name)): token id \(bad) is outside the vocabulary of \(vocab)")
            }
            return try TokenSet(name: name, kind: row["kind"], language: row["language"], source: row["source"], ids: ids)
        }
    }

    /// The vocabulary size the run's architecture records (nil when it records none).
    func vocabularySize(run: Int64, _ db: Database) throws -> Int? {
        try Int.fetchOne(db, sql: "SELECT json_extract(architecture_json, '$.vocab_size') FROM runs WHERE id = ?", arguments: [run])
    }

    func insert(_ r: LensPromptResult, run: Int64, _ db: Database) throws {
        guard let prompt = try Int64.fetchOne(db, sql: "SELECT id FROM lens_prompts WHERE run_id = ? AND source = ? AND target = ? AND item_key = ?",
                                              arguments: [run, r.source, r.target, r.itemKey]) else {
            throw PolylensFileError("\(path): lens result \(r.source)→\(r.target) \(r.itemKey) has no prompt in run \(run); the batch was not committed")
        }
        let c = r.columns, (l, p, k, s) = (r.layers, r.positions, c.topK, c.sets)
        try db.execute(sql: """
            INSERT INTO lens_results (prompt_id, layers, positions, top_k, sets, top_ids, top_probabilities,
                                      correct_probability, correct_rank, entropy, set_mass)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [prompt, l, p, k, s,
                             BlobCodec.encode(c.topIds, shape: [l, p, k], filter: .shuffle),
                             BlobCodec.encode(c.topProbabilities, as: .f32, shape: [l, p, k], filter: .shuffle),
                             BlobCodec.encode(c.correctProbability, as: .f32, shape: [l, p], filter: .shuffle),
                             BlobCodec.encode(c.correctRank, shape: [l, p], filter: .shuffle),
                             BlobCodec.encode(c.entropy, as: .f32, shape: [l, p], filter: .shuffle),
                             BlobCodec.encode(c.setMass, as: .f32, shape: [l, p, s], filter: .shuffle)])
    }

    /// verify's checks beyond the blob encoding: every token id of a token set or a top-k list is inside the
    /// vocabulary of its run, and a result has one mass per token set of its run. One line per bad row.
    func lensProblems(_ db: Database) throws -> [String] {
        guard try db.tableExists("token_sets"), try db.tableExists("lens_results") else { return [] }
        var problems: [String] = []
        func outside(_ value: DatabaseValue, vocab: Int?) -> Int32? {
            guard case .blob(let data) = value.storage, let vocab, let blob = try? BlobCodec.decode(data), let ids = try? blob.int32s() else { return nil }
            return ids.first { $0 < 0 || Int($0) >= vocab }
        }
        for row in try Row.fetchAll(db, sql: "SELECT id, run_id, name, token_ids FROM token_sets ORDER BY id").map({ StoredRow($0, of: "token_sets") }) {
            let vocab = try vocabularySize(run: row["run_id"], db)
            if let bad = outside(row.raw("token_ids"), vocab: vocab) {
                problems.append("token_sets row \(try row["id"] as Int64) (\(try row["name"] as String)): token id \(bad) is outside the vocabulary of \(vocab ?? 0)")
            }
        }
        let results = try Row.fetchCursor(db, sql: """
            SELECT r.prompt_id, r.sets, r.top_ids, p.run_id, (SELECT count(*) FROM token_sets t WHERE t.run_id = p.run_id) AS run_sets
            FROM lens_results r JOIN lens_prompts p ON p.id = r.prompt_id ORDER BY r.prompt_id
            """)
        var vocabularies: [Int64: Int?] = [:]
        while let joined = try results.next() {
            let row = StoredRow(joined, of: "lens_results")
            let run: Int64 = try StoredRow(joined, of: "lens_prompts")["run_id"], prompt: Int64 = try row["prompt_id"]
            if vocabularies[run] == nil { vocabularies[run] = try vocabularySize(run: run, db) }
            if let bad = outside(row.raw("top_ids"), vocab: vocabularies[run] ?? nil) {
                problems.append("lens_results row \(prompt) (prompt \(prompt)): top token id \(bad) is outside the vocabulary of \(vocabularies[run]! ?? 0)")
            }
            let sets: Int = try row["sets"], runSets: Int = try row["run_sets"]
            if sets != runSets {
                problems.append("lens_results row \(prompt): \(sets) token-set masses, run \(run) has \(runSets) token sets")
            }
        }
        return problems
    }
}
