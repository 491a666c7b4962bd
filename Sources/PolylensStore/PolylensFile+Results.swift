import Foundation
import GRDB

/// Named results and their provenance (schema version 5): saved sets with content hashes, ablation runs with
/// their per-document NLL. Files of earlier versions opened read-only have none of these tables; they read as
/// holding no ablation runs, and their sets as having no hash.
extension PolylensFile {
    /// Whether the file's schema includes migration `version` (an older file opened read-only may not).
    func hasSchema(_ version: Int, _ db: Database) throws -> Bool {
        (try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0) >= version
    }

    /// Every saved set of the run, by name.
    public func neuronSetRecords(run: Int64) throws -> [NeuronSetRecord] {
        try guarded("read the neuron sets of") { db in
            let hash = try hasSchema(5, db) ? "s.content_sha256" : "NULL"
            return try Row.fetchAll(db, sql: """
                SELECT s.id, s.run_id, s.name, \(hash) AS content_sha256, s.parameters_json, s.created_at
                FROM neuron_sets s WHERE s.run_id = ? ORDER BY s.name
                """, arguments: [run]).map { StoredRow($0, of: "neuron_sets") }.map { row in
                let id: Int64 = try row["id"], name: String = try row["name"]
                var sizes: [String: Int] = [:]
                for m in try Row.fetchAll(db, sql: "SELECT language, neurons FROM neuron_set_members WHERE set_id = ?", arguments: [id])
                    .map({ StoredRow($0, of: "neuron_set_members") }) {
                    let language: String = try m["language"]
                    sizes[language] = try decode(m.raw("neurons"), "neuron_set_members(\(name), \(language)).neurons").count
                }
                return try NeuronSetRecord(id: id, run: row["run_id"], name: row["name"], contentSHA256: row["content_sha256"],
                                       parametersJSON: row["parameters_json"], createdAt: row["created_at"], sizes: sizes)
            }
        }
    }

    /// Saves one ablation: its provenance, its per-language rows and its per-document NLL, in one transaction.
    /// Returns the new ablation run's id.
    @discardableResult
    public func saveAblation(_ ablation: AblationRun, results: [AblationResult], documents: [AblationDocumentResult]) throws -> Int64 {
        try writing("save an ablation in") { db in
            try requireRun(ablation.run, db)
            try db.execute(sql: """
                INSERT INTO ablation_runs (run_id, set_name, set_sha256, set_parameters_json, parameters_json, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [ablation.run, ablation.setName, ablation.setSHA256, ablation.setParametersJSON,
                                 ablation.parametersJSON, Self.now()])
            let id = db.lastInsertedRowID
            for r in results {
                guard r.run == ablation.run, r.setName == ablation.setName else {
                    throw PolylensFileError("\(path): an ablation row of set \(r.setName) (run \(r.run)) does not belong to ablation of \(ablation.setName) (run \(ablation.run))")
                }
                try db.execute(sql: """
                    INSERT INTO ablation_results (run_id, set_name, control, control_seed, ablated_language, eval_language,
                                                  tokens, nll_before, nll_after, created_at, ablation_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [r.run, r.setName, r.control, r.controlSeed, r.ablatedLanguage, r.evalLanguage,
                                     r.tokens, r.nllBefore, r.nllAfter, Self.now(), id])
            }
            for d in documents {
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM documents WHERE id = ? AND run_id = ? AND held_out = 1 AND language = ?",
                                        arguments: [d.document, ablation.run, d.evalLanguage]) == true else {
                    throw PolylensFileError("\(path): document \(d.document) is not a held-out \(d.evalLanguage) document of run \(ablation.run); the ablation was not saved")
                }
                try db.execute(sql: """
                    INSERT INTO ablation_documents (ablation_id, ablated_language, control_seed, document_id, tokens, nll_before, nll_after)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [id, d.ablatedLanguage, d.controlSeed, d.document, d.tokens, d.nllBefore, d.nllAfter])
            }
            return id
        }
    }

    /// The run's ablation runs, oldest first (none in a file before version 5).
    public func ablationRuns(run: Int64) throws -> [AblationRun] {
        try guarded("read the ablation runs of") { db in
            guard try hasSchema(5, db) else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM ablation_runs WHERE run_id = ? ORDER BY id", arguments: [run])
                .map { StoredRow($0, of: "ablation_runs") }.map { row in
                try AblationRun(id: row["id"], run: row["run_id"], setName: row["set_name"], setSHA256: row["set_sha256"],
                            setParametersJSON: row["set_parameters_json"], parametersJSON: row["parameters_json"],
                            createdAt: row["created_at"])
            }
        }
    }

    /// Per-document NLL of one ablation run, by ablated language, control seed (the set itself first) and document.
    public func ablationDocuments(ablation: Int64) throws -> [AblationDocumentResult] {
        try guarded("read the per-document ablation results of") { db in
            guard try hasSchema(5, db) else { return [] }
            return try Row.fetchAll(db, sql: """
                SELECT a.*, d.language FROM ablation_documents a JOIN documents d ON d.id = a.document_id
                WHERE a.ablation_id = ? ORDER BY a.ablated_language, a.control_seed IS NOT NULL, a.control_seed, a.document_id
                """, arguments: [ablation]).map { joined in
                let row = StoredRow(joined, of: "ablation_documents")
                return try AblationDocumentResult(ablatedLanguage: row["ablated_language"], controlSeed: row["control_seed"],
                                       document: row["document_id"], evalLanguage: StoredRow(joined, of: "documents")["language"], tokens: row["tokens"],
                                       nllBefore: row["nll_before"], nllAfter: row["nll_after"])
            }
        }
    }

    /// Deletes a saved set (its members go with it). Ablation runs of it stay: they carry its identity.
    public func deleteNeuronSet(run: Int64, name: String) throws {
        try writing("delete neuron set \(name) from") { db in
            try db.execute(sql: "DELETE FROM neuron_sets WHERE run_id = ? AND name = ?", arguments: [run, name])
            guard db.changesCount > 0 else { throw PolylensFileError("\(path): run \(run) has no neuron set named \(name)") }
        }
    }

    /// Deletes an ablation run with its rows and per-document results.
    public func deleteAblationRun(run: Int64, id: Int64) throws {
        try writing("delete ablation \(id) from") { db in
            try db.execute(sql: "DELETE FROM ablation_runs WHERE run_id = ? AND id = ?", arguments: [run, id])
            guard db.changesCount > 0 else { throw PolylensFileError("\(path): run \(run) has no ablation \(id)") }
        }
    }

    /// Deletes the rows without recorded provenance (written before schema version 5) of one set, or of every
    /// set when `setName` is nil. Returns how many rows went.
    @discardableResult
    public func deleteLegacyAblationResults(run: Int64, setName: String?) throws -> Int {
        try writing("delete ablation results from") { db in
            try db.execute(sql: "DELETE FROM ablation_results WHERE run_id = ?1 AND ablation_id IS NULL AND (?2 IS NULL OR set_name = ?2)",
                           arguments: [run, setName])
            guard db.changesCount > 0 else {
                throw PolylensFileError("\(path): run \(run) has no ablation results without provenance\(setName.map { " for set \($0)" } ?? "")")
            }
            return db.changesCount
        }
    }

    /// Held-out documents of a language with their row ids, in the order `documents(run:language:heldOut:)` gives.
    public func heldOutDocuments(run: Int64, language: String) throws -> [(id: Int64, document: DocumentInfo)] {
        try guarded("read the documents of") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM documents WHERE run_id = ? AND language = ? AND held_out = 1 ORDER BY id",
                             arguments: [run, language]).map { StoredRow($0, of: "documents") }
                .map { (id: try $0["id"], document: try document($0)) }
        }
    }
}
