import Foundation
import GRDB

/// Activation histograms and top contexts (Schema/004_neuron_activity.sql): added by each ingest batch and
/// by merge inside their transactions, read by `polylens neuron`, the report and the LAPE/ablation variants.
extension PolylensFile {
    // MARK: - Reading

    /// Histograms of the run, sorted by language then layer; empty for files written without them.
    public func activationHistograms(run: Int64, language: String? = nil, layer: Int? = nil) throws -> [ActivationHistogram] {
        try guarded("read the activation histograms of") { db in
            guard try db.tableExists("activation_histograms") else { return [] }
            return try Row.fetchAll(db, sql: """
                SELECT * FROM activation_histograms WHERE run_id = ?1 AND (?2 IS NULL OR language = ?2)
                AND (?3 IS NULL OR layer = ?3) ORDER BY language, layer
                """, arguments: [run, language, layer]).map { try histogram(StoredRow($0, of: "activation_histograms")) }
        }
    }

    /// The top contexts of one (scope, layer); scope `*` = all languages. nil when none were collected.
    public func neuronContexts(run: Int64, scope: String, layer: Int) throws -> NeuronContextTable? {
        try guarded("read the neuron contexts of") { db in
            try storedContexts(run: run, scope: scope, layer: layer, db)
        }
    }

    /// The scopes with contexts: `*` and the languages, sorted.
    public func contextScopes(run: Int64) throws -> [String] {
        try guarded("read the neuron contexts of") { db in
            guard try db.tableExists("neuron_contexts") else { return [] }
            return try String.fetchAll(db, sql: "SELECT DISTINCT scope FROM neuron_contexts WHERE run_id = ? ORDER BY scope",
                                       arguments: [run])
        }
    }

    /// The identity of documents by id, for showing contexts and ordering them.
    public func documentKeysByID(run: Int64) throws -> [Int64: DocumentKey] {
        try guarded("read the documents of") { db in try documentKeysByID(run: run, db) }
    }

    /// Every document of the run by id, without token ids: what a context shows of its document.
    public func documentsByID(run: Int64) throws -> [Int64: DocumentInfo] {
        try guarded("read the documents of") { db in
            var out: [Int64: DocumentInfo] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT id, language, source, item_key, sha256, bytes, tokens, held_out FROM documents WHERE run_id = ?",
                                      arguments: [run]).map({ StoredRow($0, of: "documents") }) {
                out[try r["id"]] = try document(r)
            }
            return out
        }
    }

    // MARK: - Writing (inside a batch's or a merge's transaction)

    /// Adds a batch's histograms and merges its context candidates into the stored top-k, per language and
    /// over all languages. `documentIDs[i]` is the id the batch's document i was given.
    func add(_ delta: NeuronActivityDelta, documentIDs: [Int64], run: Int64, _ db: Database) throws {
        for h in delta.histograms { try add(h, run: run, db) }
        guard let shape = delta.shape, !delta.contexts.isEmpty else { return }
        let order = ContextOrder(keys: try documentKeysByID(run: run, db))
        var global: [Int: NeuronContextTable] = [:]
        for var table in delta.contexts {
            for n in table.contexts.indices {
                for c in table.contexts[n].indices {
                    let index = Int(table.contexts[n][c].document)
                    guard documentIDs.indices.contains(index) else {
                        throw PolylensFileError("\(path): a context of \(table.scope) layer \(table.layer) refers to document \(index) of a batch of \(documentIDs.count)")
                    }
                    table.contexts[n][c].document = documentIDs[index]
                }
                table.contexts[n].sort(by: order.precedes)
            }
            if shape.perLanguage > 0 { try merge(table, k: shape.perLanguage, order: order, run: run, db) }
            if shape.k > 0 {
                if var g = global[table.layer] {
                    for n in g.contexts.indices { g.contexts[n] = order.merge(g.contexts[n], table.contexts[n], k: shape.k) }
                    global[table.layer] = g
                } else {
                    table.scope = NeuronContextTable.allLanguages
                    global[table.layer] = table
                }
            }
        }
        for layer in global.keys.sorted() { try merge(global[layer]!, k: shape.k, order: order, run: run, db) }
    }

    /// Copies the histograms and contexts of `source`'s run into `run`, documents renumbered by `documentIDs`.
    func copyNeuronActivity(from source: PolylensFile, run sourceRun: Int64, documentIDs: [Int64: Int64],
                            into run: Int64, _ db: Database) throws {
        for h in try source.activationHistograms(run: sourceRun) { try add(h, run: run, db) }
        let order = ContextOrder(keys: try documentKeysByID(run: run, db))
        for scope in try source.contextScopes(run: sourceRun) {
            for layer in try source.contextLayers(run: sourceRun, scope: scope) {
                guard var table = try source.neuronContexts(run: sourceRun, scope: scope, layer: layer) else { continue }
                for n in table.contexts.indices {
                    for c in table.contexts[n].indices {
                        let old = table.contexts[n][c].document
                        guard let new = documentIDs[old] else {
                            throw PolylensFileError("\(source.path): a context of \(scope) layer \(layer) refers to document \(old), which is not in run \(sourceRun)")
                        }
                        table.contexts[n][c].document = new
                    }
                    table.contexts[n].sort(by: order.precedes)
                }
                try merge(table, k: table.k, order: order, run: run, db)
            }
        }
    }

    /// Adds one histogram to the stored one of its (language, layer); counts are stored as i32.
    private func add(_ delta: ActivationHistogram, run: Int64, _ db: Database) throws {
        var total = delta
        if let row = try Row.fetchOne(db, sql: "SELECT * FROM activation_histograms WHERE run_id = ? AND language = ? AND layer = ?",
                                      arguments: [run, delta.language, delta.layer]) {
            let stored = try histogram(StoredRow(row, of: "activation_histograms"))
            guard stored.neurons == delta.neurons else {
                throw PolylensFileError("\(path): run \(run) has \(stored.neurons) neurons in layer \(delta.layer), the histograms to add have \(delta.neurons)")
            }
            total = stored
            total.add(delta)
        }
        guard total.counts.count == total.neurons * ActivationBins.count else {
            throw PolylensFileError("\(path): histograms of \(delta.language) layer \(delta.layer) have \(total.counts.count) counts, not \(total.neurons) × \(ActivationBins.count)")
        }
        guard let largest = total.counts.max(), largest <= Int64(Int32.max) else {
            throw PolylensFileError("\(path): a histogram count of \(delta.language) layer \(delta.layer) exceeds 2³¹ − 1 tokens")
        }
        try db.execute(sql: """
            INSERT OR REPLACE INTO activation_histograms (run_id, language, layer, neurons, bins, counts) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [run, total.language, total.layer, total.neurons, ActivationBins.count,
                             BlobCodec.encode(total.counts.map { Int32($0) }, shape: [total.neurons, ActivationBins.count], filter: .shuffle)])
    }

    /// Merges candidates (with file document ids) into the stored top-k of their (scope, layer).
    private func merge(_ candidates: NeuronContextTable, k: Int, order: ContextOrder, run: Int64, _ db: Database) throws {
        var total = candidates
        total.k = k
        if let stored = try storedContexts(run: run, scope: candidates.scope, layer: candidates.layer, db) {
            guard stored.neurons == candidates.neurons, stored.before == candidates.before, stored.after == candidates.after else {
                throw PolylensFileError("\(path): contexts of \(candidates.scope) layer \(candidates.layer) are stored for \(stored.neurons) neurons with windows \(stored.before)+1+\(stored.after), the ones to add have \(candidates.neurons) and \(candidates.before)+1+\(candidates.after)")
            }
            total.k = min(stored.k, k)
            for n in total.contexts.indices { total.contexts[n] = order.merge(stored.contexts[n], candidates.contexts[n], k: total.k) }
        } else {
            for n in total.contexts.indices where total.contexts[n].count > k { total.contexts[n] = Array(total.contexts[n].prefix(k)) }
        }
        try write(total, run: run, db)
    }

    private func write(_ t: NeuronContextTable, run: Int64, _ db: Database) throws {
        let n = t.neurons, k = t.k, w = t.before + 1 + t.after
        var value = [Float](repeating: .nan, count: n * k)
        var document = [Int64](repeating: 0, count: n * k)
        var position = [Int32](repeating: -1, count: n * k)
        var tokens = [Int32](repeating: -1, count: n * k * w)
        for (i, list) in t.contexts.enumerated() {
            for (j, c) in list.prefix(k).enumerated() {
                guard c.tokens.count == w else {
                    throw PolylensFileError("\(path): a context of \(t.scope) layer \(t.layer) neuron \(i) has \(c.tokens.count) tokens, not \(w)")
                }
                let slot = i * k + j
                value[slot] = c.value; document[slot] = c.document; position[slot] = c.position
                tokens.replaceSubrange((slot * w)..<((slot + 1) * w), with: c.tokens)
            }
        }
        try db.execute(sql: """
            INSERT OR REPLACE INTO neuron_contexts (run_id, scope, layer, neurons, k, before, after, value, document, position, tokens)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run, t.scope, t.layer, n, k, t.before, t.after,
                             BlobCodec.encode(value, as: .f32, shape: [n, k], filter: .shuffle),
                             BlobCodec.encode(document, shape: [n, k], filter: .shuffle),
                             BlobCodec.encode(position, shape: [n, k], filter: .shuffle),
                             BlobCodec.encode(tokens, shape: [n, k, w], filter: .shuffle)])
    }

    // MARK: - Row decoding

    func histogram(_ row: StoredRow) throws -> ActivationHistogram {
        let (language, layer, name) = try layerKey(row)
        let neurons: Int = try row["neurons"], bins: Int = try row["bins"]
        guard bins == ActivationBins.count else {
            throw PolylensFileError("\(path): \(name) has \(bins) bins; this Polylens knows \(ActivationBins.count)")
        }
        let counts = try decode(row.raw("counts"), "\(name).counts").int32s()
        guard counts.count % bins == 0, counts.count / bins == neurons else {
            throw PolylensFileError("\(path): \(name).counts holds \(counts.count) values, not \(neurons) × \(bins)")
        }
        return ActivationHistogram(language: language, layer: layer, neurons: neurons, counts: counts.map { Int64($0) })
    }

    private func storedContexts(run: Int64, scope: String, layer: Int, _ db: Database) throws -> NeuronContextTable? {
        guard try db.tableExists("neuron_contexts"),
              let found = try Row.fetchOne(db, sql: "SELECT * FROM neuron_contexts WHERE run_id = ? AND scope = ? AND layer = ?",
                                           arguments: [run, scope, layer]) else { return nil }
        let row = StoredRow(found, of: "neuron_contexts")
        let n: Int = try row["neurons"], k: Int = try row["k"], before: Int = try row["before"], after: Int = try row["after"]
        let name = "neuron_contexts(run \(run), \(scope), layer \(layer))"
        // Sizes from the row are bounded before any arithmetic on them (a negative or 2^62 count would trap).
        guard [n, k, before, after].allSatisfy({ (0...(1 << 20)).contains($0) }) else {
            throw PolylensFileError("\(path): \(name) claims \(n) neurons × \(k) contexts of \(before) + 1 + \(after) tokens")
        }
        let w = before + 1 + after
        let value = try decode(row.raw("value"), "\(name).value").floats()
        let document = try decode(row.raw("document"), "\(name).document").int64s()
        let position = try decode(row.raw("position"), "\(name).position").int32s()
        let tokens = try decode(row.raw("tokens"), "\(name).tokens").int32s()
        guard value.count == n * k, document.count == n * k, position.count == n * k, tokens.count == n * k * w else {
            throw PolylensFileError("\(path): \(name) has blobs of \(value.count), \(document.count), \(position.count), \(tokens.count) values for \(n) neurons × \(k) contexts × \(w) tokens")
        }
        var contexts: [[NeuronContext]] = []
        contexts.reserveCapacity(n)
        for i in 0..<n {
            var list: [NeuronContext] = []
            for j in 0..<k {
                let slot = i * k + j
                guard !value[slot].isNaN else { break }
                list.append(NeuronContext(value: value[slot], document: document[slot], position: position[slot],
                                          tokens: Array(tokens[(slot * w)..<((slot + 1) * w)])))
            }
            contexts.append(list)
        }
        return NeuronContextTable(scope: scope, layer: layer, k: k, before: before, after: after, contexts: contexts)
    }

    private func contextLayers(run: Int64, scope: String) throws -> [Int] {
        try guarded("read the neuron contexts of") { db in
            try Int.fetchAll(db, sql: "SELECT layer FROM neuron_contexts WHERE run_id = ? AND scope = ? ORDER BY layer",
                             arguments: [run, scope])
        }
    }

    private func documentKeysByID(run: Int64, _ db: Database) throws -> [Int64: DocumentKey] {
        var keys: [Int64: DocumentKey] = [:]
        for r in try Row.fetchAll(db, sql: "SELECT id, language, sha256, item_key FROM documents WHERE run_id = ?", arguments: [run])
            .map({ StoredRow($0, of: "documents") }) {
            keys[try r["id"]] = try DocumentKey(language: r["language"], sha256: r["sha256"], itemKey: r["item_key"])
        }
        return keys
    }
}
