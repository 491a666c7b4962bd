import Foundation
import GRDB
import PolylensModel

/// Reading: every blob is decoded and CRC-checked on the way out; a bad one is an error naming it.
extension PolylensFile {
    public func runs() throws -> [(id: Int64, info: RunInfo)] {
        try guarded("read the runs of") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM runs ORDER BY id").map { StoredRow($0, of: "runs") }.map { row in
                try (id: row["id"], info: RunInfo(
                    modelPath: row["model_path"], modelFormat: row["model_format"], modelSHA256: row["model_sha256"],
                    tokenizerPath: row["tokenizer_path"], tokenizerSHA256: row["tokenizer_sha256"],
                    architectureJSON: row["architecture_json"], parametersJSON: row["parameters_json"],
                    polylensVersion: row["polylens_version"]))
            }
        }
    }

    /// Every language with documents or statistics in the run, sorted.
    public func languages(run: Int64) throws -> [String] {
        try guarded("read the languages of") { db in
            try DatabaseValue.fetchAll(db, sql: """
                SELECT language FROM documents WHERE run_id = ?1
                UNION SELECT language FROM neuron_stats WHERE run_id = ?1
                ORDER BY language
                """, arguments: [run]).map { try languageName($0, "documents or neuron_stats of run \(run)") }
        }
    }

    /// A language name read from a row: text of at most `maxLanguageName` characters. Names key every analysis
    /// and output line; a 10 KB one made `mexa` take a minute, so it is an error naming the row instead.
    func languageName(_ value: DatabaseValue?, _ row: @autoclosure () -> String) throws -> String {
        guard case .string(let name) = (value ?? .null).storage else {
            throw PolylensFileError("\(path): \(row()): language is \(value?.isNull ?? true ? "missing" : "not text")")
        }
        guard name.utf8.count <= Self.maxLanguageName else {
            throw PolylensFileError("\(path): \(row()): language \(name.printableExcerpt(limit: 40)) is \(name.utf8.count) bytes long, not a language name (at most \(Self.maxLanguageName))")
        }
        return name
    }

    /// Statistics per (language, layer), sorted by language then layer.
    public func neuronStats(run: Int64) throws -> [NeuronStats] {
        try guarded("read the neuron statistics of") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM neuron_stats WHERE run_id = ? ORDER BY language, layer",
                             arguments: [run]).map { try neuronStats(StoredRow($0, of: "neuron_stats")) }
        }
    }

    /// Hidden-state sums per (language, layer), sorted by language then layer; none in a version-1 file.
    public func languageStates(run: Int64) throws -> [LanguageState] {
        try guarded("read the language states of") { db in
            guard try db.tableExists("language_states") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM language_states WHERE run_id = ? ORDER BY language, layer",
                                    arguments: [run]).map { try languageState(StoredRow($0, of: "language_states")) }
        }
    }

    /// The hex sha256 of every document in the run (of any language).
    public func documentHashes(run: Int64) throws -> Set<String> {
        try guarded("read the document hashes of") { db in
            Set(try String.fetchAll(db, sql: "SELECT sha256 FROM documents WHERE run_id = ?", arguments: [run]))
        }
    }

    /// The identity of every document in the run: what a resumed ingest skips.
    public func documentKeys(run: Int64) throws -> Set<DocumentKey> {
        try guarded("read the documents of") { db in
            Set(try Row.fetchAll(db, sql: "SELECT language, sha256, item_key FROM documents WHERE run_id = ?",
                                 arguments: [run]).map { StoredRow($0, of: "documents") }.map {
                try DocumentKey(language: $0["language"], sha256: $0["sha256"], itemKey: $0["item_key"])
            })
        }
    }

    /// Documents in insertion order; token ids are filled for held-out documents.
    public func documents(run: Int64, language: String? = nil, heldOut: Bool? = nil) throws -> [DocumentInfo] {
        try guarded("read the documents of") { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM documents WHERE run_id = ?1 AND (?2 IS NULL OR language = ?2) AND (?3 IS NULL OR held_out = ?3)
                ORDER BY id
                """, arguments: [run, language, heldOut]).map { try document(StoredRow($0, of: "documents")) }
        }
    }

    /// Each document's summary for one pooling, in document order.
    public func summaries(run: Int64, pooling: Pooling) throws -> [(document: DocumentInfo, summary: DocumentSummary)] {
        try guarded("read the summaries of") { db in
            try Row.fetchAll(db, sql: """
                SELECT d.*, s.layers, s.dim, s.data
                FROM summaries s JOIN documents d ON d.id = s.document_id
                WHERE d.run_id = ? AND s.pooling = ? ORDER BY d.id
                """, arguments: [run, pooling.rawValue]).map { row in
                // documents has no column named layers, dim or data: each name below is unambiguous.
                let documents = StoredRow(row, of: "documents"), summary = StoredRow(row, of: "summaries")
                let id: Int64 = try documents["id"], info = try document(documents)
                let blob = try decode(summary.raw("data"), "summaries(document \(id), \(pooling.rawValue)).data")
                let layers: Int = try summary["layers"], dim: Int = try summary["dim"]
                guard blob.shape == [layers, dim] else {
                    throw PolylensFileError("\(path): summary of document \(id) has shape \(blob.shape), not [\(layers), \(dim)]")
                }
                return (document: info,
                        summary: DocumentSummary(pooling: pooling, layers: layers, dim: dim, values: try blob.floats()))
            }
        }
    }

    /// The poolings the run stored summaries for (ingest's `--poolings`), in Pooling order.
    public func storedPoolings(run: Int64) throws -> [Pooling] {
        let names = try guarded("read the summaries of") { db in
            Set(try String.fetchAll(db, sql: """
                SELECT DISTINCT s.pooling FROM summaries s JOIN documents d ON d.id = s.document_id WHERE d.run_id = ?
                """, arguments: [run]))
        }
        return Pooling.allCases.filter { names.contains($0.rawValue) }
    }

    public func lensPromptKeys(run: Int64) throws -> Set<LensPromptKey> {
        try guarded("read the lens prompts of") { db in
            Set(try Row.fetchAll(db, sql: "SELECT source, target, item_key FROM lens_prompts WHERE run_id = ?",
                                 arguments: [run]).map { StoredRow($0, of: "lens_prompts") }.map {
                try LensPromptKey(source: $0["source"], target: $0["target"], itemKey: $0["item_key"])
            })
        }
    }

    /// Lens prompts in insertion order, with their states (layers × positions × dim; empty where not stored).
    public func lensPrompts(run: Int64, source: String? = nil, target: String? = nil) throws -> [LensPrompt] {
        try guarded("read the lens prompts of") { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM lens_prompts WHERE run_id = ?1 AND (?2 IS NULL OR source = ?2) AND (?3 IS NULL OR target = ?3)
                ORDER BY id
                """, arguments: [run, source, target]).map { row in try lensPrompt(StoredRow(row, of: "lens_prompts"), db) }
        }
    }

    public func unembedding(run: Int64) throws -> (finalNorm: [Float], matrix: [Float], vocab: Int, dim: Int)? {
        try guarded("read the unembedding of") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM unembedding WHERE run_id = ?", arguments: [run])
                .map({ StoredRow($0, of: "unembedding") }) else {
                return nil
            }
            let vocab: Int = try row["vocab"], dim: Int = try row["dim"]
            let norm = try decode(row.raw("final_norm"), "unembedding(run \(run)).final_norm")
            let matrix = try decode(row.raw("matrix"), "unembedding(run \(run)).matrix")
            guard norm.count == dim, matrix.shape == [vocab, dim] else {
                throw PolylensFileError("\(path): unembedding of run \(run) has shapes \(norm.shape) and \(matrix.shape), not [\(dim)] and [\(vocab), \(dim)]")
            }
            return (finalNorm: try norm.floats(), matrix: try matrix.floats(), vocab: vocab, dim: dim)
        }
    }

    public func neuronSetNames(run: Int64) throws -> [String] {
        try guarded("read the neuron sets of") { db in
            try String.fetchAll(db, sql: "SELECT name FROM neuron_sets WHERE run_id = ? ORDER BY name", arguments: [run])
        }
    }

    /// A saved neuron set, per language its neurons sorted by layer then index.
    public func neuronSet(run: Int64, name: String) throws -> [String: [NeuronRef]] {
        try guarded("read neuron set \(name) of") { db in
            guard let setID = try Int64.fetchOne(db, sql: "SELECT id FROM neuron_sets WHERE run_id = ? AND name = ?",
                                                 arguments: [run, name]) else {
                throw PolylensFileError("\(path): run \(run) has no neuron set named \(name)")
            }
            var result: [String: [NeuronRef]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM neuron_set_members WHERE set_id = ?", arguments: [setID])
                .map({ StoredRow($0, of: "neuron_set_members") }) {
                let language: String = try row["language"]
                let layers = try decode(row.raw("layers"), "neuron_set_members(\(name), \(language)).layers").int32s()
                let neurons = try decode(row.raw("neurons"), "neuron_set_members(\(name), \(language)).neurons").int32s()
                guard layers.count == neurons.count else {
                    throw PolylensFileError("\(path): neuron set \(name) (\(language)) has \(layers.count) layers for \(neurons.count) neurons")
                }
                result[language] = zip(layers, neurons).map { NeuronRef(layer: Int($0), neuron: Int($1)) }
            }
            return result
        }
    }

    public func neuronSetParameters(run: Int64, name: String) throws -> String? {
        try guarded("read neuron set \(name) of") { db in
            try String.fetchOne(db, sql: "SELECT parameters_json FROM neuron_sets WHERE run_id = ? AND name = ?",
                                arguments: [run, name])
        }
    }

    public func ablationResults(run: Int64) throws -> [AblationResult] {
        try guarded("read the ablation results of") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ablation_results WHERE run_id = ? ORDER BY id", arguments: [run])
                .map { StoredRow($0, of: "ablation_results") }.map { row in
                try AblationResult(run: row["run_id"], setName: row["set_name"], control: row["control"],
                               controlSeed: row["control_seed"], ablatedLanguage: row["ablated_language"],
                               evalLanguage: row["eval_language"], tokens: row["tokens"],
                               nllBefore: row["nll_before"], nllAfter: row["nll_after"],
                               ablationID: row["ablation_id"])  // nil: a row of a file before version 5
            }
        }
    }

    // MARK: - Row decoding

    /// Takes the column's raw value: a row written by someone else may hold an integer or text where a blob
    /// belongs, which must be an error naming the row, not GRDB's conversion trap.
    func decode(_ value: DatabaseValue?, _ what: @autoclosure () -> String) throws -> Blob {
        let data: Data
        switch (value ?? .null).storage {
        case .blob(let d): data = d
        case .null: throw PolylensFileError("\(path): \(what()) is missing")
        case .int64: throw PolylensFileError("\(path): \(what()) holds an integer where a blob belongs")
        case .double: throw PolylensFileError("\(path): \(what()) holds a real number where a blob belongs")
        case .string: throw PolylensFileError("\(path): \(what()) holds text where a blob belongs")
        }
        do {
            return try BlobCodec.decode(data)
        } catch let e as BlobError {
            throw PolylensFileError("\(path): blob \(what()): \(e.description)")
        }
    }

    /// The language and layer of a per-(language, layer) row (neuron_stats, language_states, activation_histograms),
    /// and the name messages give the row.
    func layerKey(_ row: StoredRow) throws -> (language: String, layer: Int, name: String) {
        let run: Int64 = try row["run_id"]
        let language = try languageName(row.raw("language"), "\(row.table) of run \(run)")
        let layer: Int = try row["layer"]
        return (language, layer, "\(row.table)(run \(run), \(language), layer \(layer))")
    }

    func neuronStats(_ row: StoredRow) throws -> NeuronStats {
        let (language, layer, name) = try layerKey(row)
        let neurons: Int = try row["neurons"]
        let active = try decode(row.raw("active"), "\(name).active").int64s()
        let sum = try decode(row.raw("sum"), "\(name).sum").doubles()
        let sumsq = try decode(row.raw("sumsq"), "\(name).sumsq").doubles()
        let max = try decode(row.raw("max"), "\(name).max").floats()
        guard [active.count, sum.count, sumsq.count, max.count].allSatisfy({ $0 == neurons }) else {
            throw PolylensFileError("\(path): \(name) has vectors of lengths \(active.count), \(sum.count), \(sumsq.count), \(max.count) for \(neurons) neurons")
        }
        return try NeuronStats(language: language, layer: layer, tokens: row["tokens"], active: active, sum: sum,
                           sumSquares: sumsq, max: max)
    }

    func languageState(_ row: StoredRow) throws -> LanguageState {
        let (language, layer, name) = try layerKey(row)
        let dim: Int = try row["dim"]
        let sum = try decode(row.raw("sum"), "\(name).sum").doubles()
        let sumsq = try decode(row.raw("sumsq"), "\(name).sumsq").doubles()
        guard sum.count == dim, sumsq.count == dim else {
            throw PolylensFileError("\(path): \(name) has vectors of lengths \(sum.count), \(sumsq.count) for dim \(dim)")
        }
        return try LanguageState(language: language, layer: layer, tokens: row["tokens"], sum: sum, sumSquares: sumsq)
    }

    func document(_ row: StoredRow) throws -> DocumentInfo {
        let id: Int64 = try row["id"]
        let ids = row.raw("token_ids")  // NULL also when the query did not select it
        let tokenIds = try ids.isNull ? nil : decode(ids, "documents(\(id)).token_ids").int32s()
        return try DocumentInfo(language: languageName(row.raw("language"), "documents(\(id))"), source: row["source"], itemKey: row["item_key"],
                            sha256: row["sha256"], bytes: row["bytes"], tokens: row["tokens"],
                            heldOut: row["held_out"], tokenIds: tokenIds)
    }

    func lensPrompt(_ row: StoredRow, _ db: Database) throws -> LensPrompt {
        let id: Int64 = try row["id"], layers: Int = try row["layers"], dim: Int = try row["dim"]
        let tokens = try decode(row.raw("tokens"), "lens_prompts(\(id)).tokens").int32s()
        let first: Int = try row["first_position"]
        let positions = tokens.count - 1 - first
        // Numbers from the row are checked before anything is sized from them (layers count the embeddings too):
        // layers = dim = 10^9 must be an error naming the row, not a 3.7·10^18-byte allocation.
        guard (1...LlamaConfig.Limits.layers + 1).contains(layers), (1...LlamaConfig.Limits.dim).contains(dim), positions >= 0 else {
            throw PolylensFileError("\(path): lens_prompts(\(id)) claims \(layers) layers of dim \(dim) for \(positions) positions, beyond any model Polylens reads")
        }
        var states: [Float] = []
        let stateRows = try Row.fetchAll(db, sql: "SELECT layer, data FROM lens_states WHERE prompt_id = ? ORDER BY layer",
                                         arguments: [id]).map { StoredRow($0, of: "lens_states") }
        guard stateRows.count == layers || stateRows.isEmpty else {
            throw PolylensFileError("\(path): lens prompt \(id) has states for \(stateRows.count) of \(layers) layers")
        }
        for s in stateRows {
            let layer: Int = try s["layer"]
            let blob = try decode(s.raw("data"), "lens_states(prompt \(id), layer \(layer)).data")
            guard blob.shape == [positions, dim] else {
                throw PolylensFileError("\(path): lens_states(prompt \(id), layer \(layer)) has shape \(blob.shape), not [\(positions), \(dim)]")
            }
            states += try blob.floats()
        }
        return try LensPrompt(source: row["source"], target: row["target"], itemKey: row["item_key"], tokens: tokens,
                          firstPosition: first, layers: layers, dim: dim, states: states)
    }
}
