import Foundation
import GRDB

/// Writing: every call is one transaction, so a crash leaves the file as it was before or after it.
extension PolylensFile {
    /// The run recorded for this model, tokenizer and parameters, created when there is none:
    /// calling it again with the same configuration resumes the run.
    public func beginRun(_ info: RunInfo) throws -> Int64 {
        try writing("begin a run in") { db in
            let now = Self.now()
            if let id = try Int64.fetchOne(db, sql: """
                SELECT id FROM runs WHERE model_sha256 = ? AND tokenizer_sha256 = ? AND parameters_json = ?
                ORDER BY id LIMIT 1
                """, arguments: [info.modelSHA256, info.tokenizerSHA256, info.parametersJSON]) {
                try db.execute(sql: "UPDATE runs SET updated_at = ? WHERE id = ?", arguments: [now, id])
                return id
            }
            return try insertRun(info, db)
        }
    }

    /// Commits a batch atomically: its documents, its statistics added to the stored ones, its summaries and
    /// lens prompts. A document already in the run makes the whole batch fail (it would be counted twice).
    public func commit(run: Int64, batch: IngestBatch) throws {
        try validate(batch)
        try writing("commit a batch to") { db in
            try requireRun(run, db)
            let now = Self.now()
            var ids: [Int64] = []
            for d in batch.documents {
                if try documentExists(run: run, DocumentKey(d), db) {
                    throw PolylensFileError("\(path): document \(d.source) (\(d.language), sha256 \(d.sha256.prefix(12))…) is already in run \(run); the batch was not committed")
                }
                try db.execute(sql: """
                    INSERT INTO documents (run_id, language, source, item_key, sha256, bytes, tokens, held_out, token_ids, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run, d.language, d.source, d.itemKey, d.sha256, d.bytes, d.tokens, d.heldOut,
                                     d.tokenIds.map { BlobCodec.encode($0, filter: .shuffle) }, now])
                ids.append(db.lastInsertedRowID)
            }
            for delta in batch.stats {
                try add(delta, run: run, db)
            }
            for delta in batch.languageStates {
                try add(delta, run: run, db)
            }
            if let activity = batch.activity { try add(activity, documentIDs: ids, run: run, db) }
            for (index, s) in batch.summaries {
                try db.execute(sql: "INSERT INTO summaries (document_id, pooling, layers, dim, data) VALUES (?, ?, ?, ?, ?)",
                               arguments: [ids[index], s.pooling.rawValue, s.layers, s.dim,
                                           BlobCodec.encode(s.values, as: batch.summaryCodec, shape: [s.layers, s.dim])])
            }
            for p in batch.lensPrompts {
                try insert(p, run: run, codec: batch.lensStateCodec, db)
            }
            for r in batch.lensResults {
                try insert(r, run: run, db)
            }
            try db.execute(sql: "UPDATE runs SET updated_at = ? WHERE id = ?", arguments: [now, run])
        }
    }

    /// The final norm (f32) and unembedding matrix (f16, vocab × dim), so the lens needs no model file.
    public func storeUnembedding(run: Int64, finalNorm: [Float], matrix: [Float], vocab: Int, dim: Int) throws {
        guard finalNorm.count == dim, matrix.count == vocab * dim else {
            throw PolylensFileError("\(path): unembedding of \(matrix.count) values and norm of \(finalNorm.count) do not match vocab \(vocab) × dim \(dim)")
        }
        try writing("store the unembedding in") { db in
            try requireRun(run, db)
            try db.execute(sql: "INSERT OR REPLACE INTO unembedding (run_id, vocab, dim, final_norm, matrix) VALUES (?, ?, ?, ?, ?)",
                           arguments: [run, vocab, dim, BlobCodec.encode(finalNorm, as: .f32),
                                       BlobCodec.encode(matrix, as: .f16, shape: [vocab, dim])])
        }
    }

    /// Saves a named neuron selection (per language, its neurons) with its content hash. An existing name is
    /// refused unless `replace`: a result is never silently replaced. Returns the content hash.
    @discardableResult
    public func saveNeuronSet(run: Int64, name: String, neurons: [String: [NeuronRef]], parametersJSON: String,
                              replace: Bool = false) throws -> String {
        let hash = NeuronSetRecord.contentSHA256(of: neurons)
        try writing("save neuron set \(name) in") { db in
            try requireRun(run, db)
            if let saved = try String.fetchOne(db, sql: "SELECT created_at FROM neuron_sets WHERE run_id = ? AND name = ?",
                                               arguments: [run, name]) {
                guard replace else {
                    throw PolylensFileError("\(path): run \(run) already has a neuron set named \(name) (saved \(saved)); choose another name or replace it explicitly")
                }
                try db.execute(sql: "DELETE FROM neuron_sets WHERE run_id = ? AND name = ?", arguments: [run, name])
            }
            try db.execute(sql: "INSERT INTO neuron_sets (run_id, name, parameters_json, created_at, content_sha256) VALUES (?, ?, ?, ?, ?)",
                           arguments: [run, name, parametersJSON, Self.now(), hash])
            let setID = db.lastInsertedRowID
            for (language, refs) in neurons.sorted(by: { $0.key < $1.key }) {
                let sorted = refs.sorted()
                try db.execute(sql: "INSERT INTO neuron_set_members (set_id, language, layers, neurons) VALUES (?, ?, ?, ?)",
                               arguments: [setID, language, BlobCodec.encode(sorted.map { Int32($0.layer) }),
                                           BlobCodec.encode(sorted.map { Int32($0.neuron) })])
            }
        }
        return hash
    }

    /// A row without an ablation run, as files before schema version 5 hold them (no recorded provenance);
    /// `saveAblation` writes new results.
    public func saveAblationResult(_ r: AblationResult) throws {
        try writing("save an ablation result in") { db in
            try requireRun(r.run, db)
            try db.execute(sql: """
                INSERT INTO ablation_results (run_id, set_name, control, control_seed, ablated_language, eval_language,
                                              tokens, nll_before, nll_after, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.run, r.setName, r.control, r.controlSeed, r.ablatedLanguage, r.evalLanguage,
                                 r.tokens, r.nllBefore, r.nllAfter, Self.now()])
        }
    }

    // MARK: - Helpers

    func requireRun(_ run: Int64, _ db: Database) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run]) == true else {
            throw PolylensFileError("\(path): there is no run \(run)")
        }
    }

    private func documentExists(run: Int64, _ key: DocumentKey, _ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT 1 FROM documents WHERE run_id = ? AND language = ? AND sha256 = ? AND ifnull(item_key, '') = ?
            """, arguments: [run, key.language, key.sha256, key.itemKey ?? ""]) == true
    }

    /// Adds a delta to the stored statistics of its (language, layer).
    func add(_ delta: NeuronStats, run: Int64, _ db: Database) throws {
        let total = try adding(delta, to: "neuron_stats", run: run, decode: neuronStats, db)
        try db.execute(sql: """
            INSERT OR REPLACE INTO neuron_stats (run_id, language, layer, tokens, neurons, active, sum, sumsq, max)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run, total.language, total.layer, total.tokens, total.neurons,
                             BlobCodec.encode(total.active, filter: .shuffle), BlobCodec.encode(total.sum, filter: .shuffle),
                             BlobCodec.encode(total.sumSquares, filter: .shuffle),
                             BlobCodec.encode(total.max, as: .f32, filter: .shuffle)])
    }

    /// Adds a delta to the stored hidden-state sums of its (language, layer).
    func add(_ delta: LanguageState, run: Int64, _ db: Database) throws {
        let total = try adding(delta, to: "language_states", run: run, decode: languageState, db)
        try db.execute(sql: """
            INSERT OR REPLACE INTO language_states (run_id, language, layer, tokens, dim, sum, sumsq)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run, total.language, total.layer, total.tokens, total.dim,
                             BlobCodec.encode(total.sum, filter: .shuffle), BlobCodec.encode(total.sumSquares, filter: .shuffle)])
    }

    /// The stored row of the delta's (run, language, layer) with the delta added, or the delta when there is none.
    private func adding<T: LayerSums>(_ delta: T, to table: String, run: Int64, decode: (StoredRow) throws -> T,
                                      _ db: Database) throws -> T {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM \(table) WHERE run_id = ? AND language = ? AND layer = ?",
                                         arguments: [run, delta.language, delta.layer]) else { return delta }
        var total = try decode(StoredRow(row, of: table))
        guard total.width == delta.width else {
            throw PolylensFileError("\(path): run \(run) has \(total.width) \(T.unit) in layer \(delta.layer), the batch has \(delta.width)")
        }
        total.add(delta)
        return total
    }

    private func insert(_ p: LensPrompt, run: Int64, codec: BlobDType, _ db: Database) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM lens_prompts WHERE run_id = ? AND source = ? AND target = ? AND item_key = ?",
                             arguments: [run, p.source, p.target, p.itemKey]) == true {
            throw PolylensFileError("\(path): lens prompt \(p.source)→\(p.target) \(p.itemKey) is already in run \(run); the batch was not committed")
        }
        try db.execute(sql: """
            INSERT INTO lens_prompts (run_id, source, target, item_key, tokens, first_position, layers, dim)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run, p.source, p.target, p.itemKey, BlobCodec.encode(p.tokens, filter: .shuffle), p.firstPosition, p.layers, p.dim])
        let id = db.lastInsertedRowID
        let stride = p.positions * p.dim
        for l in 0..<p.layers where !p.states.isEmpty {
            let slice = Array(p.states[(l * stride)..<((l + 1) * stride)])
            try db.execute(sql: "INSERT INTO lens_states (prompt_id, layer, data) VALUES (?, ?, ?)",
                           arguments: [id, l, BlobCodec.encode(slice, as: codec, shape: [p.positions, p.dim])])
        }
    }

    /// Shapes are checked before anything is written, so a malformed batch cannot trap or half-commit.
    private func validate(_ batch: IngestBatch) throws {
        for r in batch.lensResults where r.positions < 0 || r.columns.rows != r.layers * r.positions || !r.columns.isConsistent {
            throw PolylensFileError("\(path): lens result \(r.source)→\(r.target) \(r.itemKey) has columns that do not match \(r.layers) layers × \(max(r.positions, 0)) positions")
        }
        for s in batch.stats where s.sum.count != s.neurons || s.sumSquares.count != s.neurons || s.max.count != s.neurons {
            throw PolylensFileError("\(path): statistics of \(s.language) layer \(s.layer) have vectors of different lengths")
        }
        for s in batch.languageStates where s.sumSquares.count != s.dim {
            throw PolylensFileError("\(path): hidden-state sums of \(s.language) layer \(s.layer) have vectors of different lengths")
        }
        for (index, s) in batch.summaries {
            guard batch.documents.indices.contains(index) else {
                throw PolylensFileError("\(path): a summary refers to document \(index) of a batch of \(batch.documents.count)")
            }
            guard s.values.count == s.layers * s.dim else {
                throw PolylensFileError("\(path): summary of \(batch.documents[index].source) has \(s.values.count) values, not \(s.layers) × \(s.dim)")
            }
        }
        for d in batch.documents where d.tokenIds != nil && d.tokenIds?.count != d.tokens {
            throw PolylensFileError("\(path): document \(d.source) has \(d.tokenIds?.count ?? 0) token ids but \(d.tokens) tokens")
        }
        for p in batch.lensPrompts where p.positions < 0 || (!p.states.isEmpty && p.states.count != p.layers * p.positions * p.dim) {
            throw PolylensFileError("\(path): lens prompt \(p.source)→\(p.target) \(p.itemKey) has \(p.states.count) state values, not \(p.layers) × \(p.positions) × \(p.dim)")
        }
    }
}
