import Foundation
import GRDB

/// Runs that grow: ingest decides which run a call continues (PolylensIngest's RunIdentity); the file
/// creates it or records its grown parameters, and tells how much of each language's budget is used.
extension PolylensFile {
    /// A new run for `info`, whatever runs exist.
    public func createRun(_ info: RunInfo) throws -> Int64 {
        try writing("create a run in") { db in try insertRun(info, db) }
    }

    /// Replaces a run's parameters (a run that grows keeps its history there).
    public func updateRunParameters(run: Int64, parametersJSON: String) throws {
        try writing("update the parameters of run \(run) in") { db in
            try requireRun(run, db)
            try db.execute(sql: "UPDATE runs SET parameters_json = ?, updated_at = ? WHERE id = ?",
                           arguments: [parametersJSON, Self.now(), run])
        }
    }

    /// Tokens of the corpus documents (not parallel items) a run holds per language, held-out ones included
    /// unless `includingHeldOut` is false: what a language's `--max-tokens-per-language` budget has already
    /// spent (held-out documents chosen by a held-out token budget sit outside it).
    public func corpusTokensPerLanguage(run: Int64, includingHeldOut: Bool = true) throws -> [String: Int] {
        try guarded("read the documents of") { db in
            try requireStorageClasses(only: ["documents"], db)  // summed below
            return Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: """
                SELECT language, sum(tokens) AS tokens FROM documents
                WHERE run_id = ? AND item_key IS NULL AND (? OR held_out = 0) GROUP BY language
                """, arguments: [run, includingHeldOut]).map { StoredRow($0, of: "documents") }
                .map { row -> (String, Int) in try (row["language"], row["tokens"]) })
        }
    }

    func insertRun(_ info: RunInfo, _ db: Database) throws -> Int64 {
        let now = Self.now()
        try db.execute(sql: """
            INSERT INTO runs (model_path, model_format, model_sha256, tokenizer_path, tokenizer_sha256,
                              architecture_json, parameters_json, polylens_version, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [info.modelPath, info.modelFormat, info.modelSHA256, info.tokenizerPath,
                             info.tokenizerSHA256, info.architectureJSON, info.parametersJSON,
                             info.polylensVersion, now, now])
        return db.lastInsertedRowID
    }
}
