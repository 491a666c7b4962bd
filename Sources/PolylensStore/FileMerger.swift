import Foundation
import GRDB
import PolylensModel

/// What a merge added to its output.
public struct MergeSummary: Sendable {
    public var run: Int64
    public var documents: Int
    public var lensPrompts: Int
}

extension PolylensFile {
    /// Merges files ingested with one model over disjoint documents (shards run on several machines) into
    /// one run of `output`, creating it when missing: documents, summaries and lens prompts are copied and
    /// neuron statistics and language states summed. Everything is checked before anything is written: different models or
    /// architectures and documents present twice are refused. Each input run is committed in one
    /// transaction, streamed page by page. Neuron sets and ablation results are derived from the statistics and not carried over.
    /// `progress` follows the input runs, one committed transaction each (a shard of a large study takes minutes).
    public static func merge(into output: URL, from inputs: [URL],
                             progress: ((WorkProgress) -> Void)? = nil) throws -> MergeSummary {
        let outPath = output.standardizedFileURL.resolvingSymlinksInPath().path
        guard !inputs.isEmpty else { throw PolylensFileError("merge: no input files") }
        var seenPaths: Set<String> = []
        for input in inputs {
            let p = input.standardizedFileURL.resolvingSymlinksInPath().path
            if p == outPath { throw PolylensFileError("\(input.path): is also the output; merge into a new file") }
            if !seenPaths.insert(p).inserted { throw PolylensFileError("\(input.path): given twice") }
        }
        let sources = try inputs.map { try PolylensFile.open($0) }
        // A value of the wrong storage class would be copied as it is: refused before anything is written.
        for f in sources { try f.requireStorageClasses() }
        let existing = FileManager.default.fileExists(atPath: output.path) ? try PolylensFile.open(output) : nil

        // One model, one tokenizer, one architecture across everything.
        var reference: (file: String, info: RunInfo)? = try existing?.runs().first.map { (output.path, $0.info) }
        var inputRuns: [(file: PolylensFile, id: Int64, info: RunInfo)] = []
        for f in sources {
            for (id, info) in try f.runs() {
                if let r = reference {
                    try checkSameModel(info, f.path, id, r.info, r.file)
                } else {
                    reference = (f.path, info)
                }
                inputRuns.append((f, id, info))
            }
        }
        guard let reference else { throw PolylensFileError("merge: the inputs hold no runs") }

        // Disjoint documents and lens prompts.
        let outRun = try existing?.runs().first { $0.info.modelSHA256 == reference.info.modelSHA256 }?.id
        var documentOwner: [DocumentKey: String] = [:]
        var promptOwner: [LensPromptKey: String] = [:]
        if let existing, let outRun {
            for k in try existing.documentKeys(run: outRun) { documentOwner[k] = existing.path }
            for k in try existing.lensPromptKeys(run: outRun) { promptOwner[k] = existing.path }
        }
        for (f, id, _) in inputRuns {
            for k in try f.documentKeys(run: id) {
                if let other = documentOwner.updateValue(f.path, forKey: k) {
                    throw PolylensFileError("\(f.path): document \(k.language) sha256 \(k.sha256.prefix(12))…\(k.itemKey.map { " (item \($0))" } ?? "") is also in \(other); merge needs disjoint documents")
                }
            }
            for k in try f.lensPromptKeys(run: id) {
                if let other = promptOwner.updateValue(f.path, forKey: k) {
                    throw PolylensFileError("\(f.path): lens prompt \(k.source)→\(k.target) \(k.itemKey) is also in \(other); merge needs disjoint prompts")
                }
            }
        }

        let out = try PolylensFile.create(output)
        let run: Int64
        if let outRun {
            run = outRun
        } else {
            var info = reference.info
            let parameters = inputRuns.map(\.info.parametersJSON)
            if Set(parameters).count > 1 { info.parametersJSON = "{\"merged\": [\(parameters.joined(separator: ", "))]}" }
            run = try out.beginRun(info)
        }
        var summary = MergeSummary(run: run, documents: 0, lensPrompts: 0)
        let meter = ProgressMeter(task: "merge", unit: "runs", total: inputRuns.count, report: progress)
        var filesWithResultsCopied = Set<ObjectIdentifier>()
        for (f, id, _) in inputRuns {
            // Lens results refer to their run's token sets by ordinal: shards must share them (refused otherwise).
            let sets = try f.tokenSets(run: id)
            if !sets.isEmpty { try out.storeTokenSets(run: run, sets) }
            let copied = try out.copy(run: id, of: f, into: run, shardResults: filesWithResultsCopied.insert(ObjectIdentifier(f)).inserted)
            if try out.unembedding(run: run) == nil, let u = try f.unembedding(run: id) {
                try out.storeUnembedding(run: run, finalNorm: u.finalNorm, matrix: u.matrix, vocab: u.vocab, dim: u.dim)
            }
            summary.documents += copied.documents
            summary.lensPrompts += copied.lensPrompts
            meter.advance(by: 1, detail: f.url.lastPathComponent)
        }
        return summary
    }

    /// Copies one run of `source` into `run` in one transaction, a page of rows at a time so that memory stays
    /// bounded whatever the input's size: documents, summaries and lens prompts with their blobs as stored (each
    /// decoded once to check it), statistics added to the stored ones; with `shardResults`, the file's
    /// `shard_results` rows (who computed a result shard) too.
    private func copy(run id: Int64, of source: PolylensFile, into run: Int64,
                      shardResults: Bool) throws -> (documents: Int, lensPrompts: Int) {
        let page = 512
        return try writing("merge \(source.path) into") { db in
            try requireRun(run, db)
            func check(_ value: DatabaseValue?, _ what: @autoclosure () -> String) throws -> Data? {
                guard let value, case .blob(let data) = value.storage else {
                    if value?.isNull ?? true { return nil }
                    _ = try source.decode(value, what())  // names the row: an integer or text where a blob belongs
                    return nil
                }
                _ = try source.decode(value, what())
                return data
            }
            var documentIDs: [Int64: Int64] = [:]
            var last: Int64 = 0
            while true {
                let rows = try source.guarded("read the documents of") { src in
                    try Row.fetchAll(src, sql: "SELECT * FROM documents WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
                                     arguments: [id, last, page])
                }
                guard let tail = rows.last else { break }
                for r in rows.map({ StoredRow($0, of: "documents") }) {
                    let old: Int64 = try r["id"]
                    try db.execute(sql: """
                        INSERT INTO documents (run_id, language, source, item_key, sha256, bytes, tokens, held_out, token_ids, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [run, r.raw("language"), r.raw("source"), r.raw("item_key"), r.raw("sha256"), r.raw("bytes"),
                                         r.raw("tokens"), r.raw("held_out"), try check(r.raw("token_ids"), "documents(\(old)).token_ids"),
                                         r.raw("created_at")])
                    documentIDs[old] = db.lastInsertedRowID
                }
                last = try StoredRow(tail, of: "documents")["id"]
            }
            last = 0
            while true {
                let rows = try source.guarded("read the summaries of") { src in
                    try Row.fetchAll(src, sql: """
                        SELECT s.rowid AS r, s.* FROM summaries s JOIN documents d ON d.id = s.document_id
                        WHERE d.run_id = ? AND s.rowid > ? ORDER BY s.rowid LIMIT ?
                        """, arguments: [id, last, page])
                }
                guard let tail = rows.last else { break }
                for r in rows.map({ StoredRow($0, of: "summaries") }) {
                    let old: Int64 = try r["document_id"], pooling: String = try r["pooling"]
                    guard let document = documentIDs[old] else {
                        throw PolylensFileError("\(source.path): a summary refers to document \(old), which is not in run \(id)")
                    }
                    try db.execute(sql: "INSERT INTO summaries (document_id, pooling, layers, dim, data) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [document, pooling, r.raw("layers"), r.raw("dim"), try check(r.raw("data"), "summaries(document \(old), \(pooling)).data")])
                }
                last = try StoredRow(tail, of: "summaries")["r"]
            }
            for delta in try source.neuronStats(run: id) {
                try add(delta, run: run, db)
            }
            for delta in try source.languageStates(run: id) {
                try add(delta, run: run, db)
            }
            try copyNeuronActivity(from: source, run: id, documentIDs: documentIDs, into: run, db)
            let prompts = try source.guarded("read the lens prompts of") { src in
                try Row.fetchAll(src, sql: "SELECT * FROM lens_prompts WHERE run_id = ? ORDER BY id", arguments: [id])
            }
            for p in prompts.map({ StoredRow($0, of: "lens_prompts") }) {
                let old: Int64 = try p["id"]
                try db.execute(sql: """
                    INSERT INTO lens_prompts (run_id, source, target, item_key, tokens, first_position, layers, dim)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [run, p.raw("source"), p.raw("target"), p.raw("item_key"), try check(p.raw("tokens"), "lens_prompts(\(old)).tokens"),
                                     p.raw("first_position"), p.raw("layers"), p.raw("dim")])
                let prompt = db.lastInsertedRowID
                let states = try source.guarded("read the lens states of") { src in
                    try Row.fetchAll(src, sql: "SELECT layer, data FROM lens_states WHERE prompt_id = ? ORDER BY layer", arguments: [old])
                }
                for st in states.map({ StoredRow($0, of: "lens_states") }) {
                    let layer: Int = try st["layer"]
                    try db.execute(sql: "INSERT INTO lens_states (prompt_id, layer, data) VALUES (?, ?, ?)",
                                   arguments: [prompt, layer, try check(st.raw("data"), "lens_states(prompt \(old), layer \(layer)).data")])
                }
                let result = try source.guarded("read the lens results of") { src in
                    try src.tableExists("lens_results") ? try Row.fetchOne(src, sql: "SELECT * FROM lens_results WHERE prompt_id = ?", arguments: [old]) : nil
                }
                if let r = result.map({ StoredRow($0, of: "lens_results") }) {
                    let columns = ["top_ids", "top_probabilities", "correct_probability", "correct_rank", "entropy", "set_mass"]
                    try db.execute(sql: """
                        INSERT INTO lens_results (prompt_id, layers, positions, top_k, sets, \(columns.joined(separator: ", ")))
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: StatementArguments([prompt, r.raw("layers"), r.raw("positions"), r.raw("top_k"), r.raw("sets")] as [(any DatabaseValueConvertible)?])
                            + StatementArguments(try columns.map { try check(r.raw($0), "lens_results(prompt \(old)).\($0)") }))
                }
            }
            if shardResults {
                for r in try source.shardResults() { try insert(r, db) }
            }
            try db.execute(sql: "UPDATE runs SET updated_at = ? WHERE id = ?", arguments: [Self.now(), run])
            return (documentIDs.count, prompts.count)
        }
    }

    private static func checkSameModel(_ a: RunInfo, _ aFile: String, _ aRun: Int64, _ b: RunInfo, _ bFile: String) throws {
        let differences = [
            a.modelSHA256 != b.modelSHA256 ? "model sha256 \(a.modelSHA256.prefix(12))… vs \(b.modelSHA256.prefix(12))…" : nil,
            a.tokenizerSHA256 != b.tokenizerSHA256 ? "tokenizer sha256 \(a.tokenizerSHA256.prefix(12))… vs \(b.tokenizerSHA256.prefix(12))…" : nil,
            a.architectureJSON != b.architectureJSON ? "architecture \(a.architectureJSON) vs \(b.architectureJSON)" : nil,
        ].compactMap { $0 }
        if !differences.isEmpty {
            throw PolylensFileError("\(aFile): run \(aRun) was made with a different model than \(bFile) (\(differences.joined(separator: "; "))); merge combines shards of one model only")
        }
    }
}
