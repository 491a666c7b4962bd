import Foundation
import PolylensEngine
import PolylensModel
import PolylensStore

/// Projected bytes of one table of a Polylens file (its rows, blobs and indexes, in pages).
public struct TableEstimate: Sendable, Codable {
    public var table: String
    public var rows: Double
    public var bytes: Double
    public init(table: String, rows: Double, bytes: Double) { self.table = table; self.rows = rows; self.bytes = bytes }
}

/// What `polylens estimate` prints: bytes per table and in total, forward tokens and FLOPs.
///
/// Sizes follow the file's layout: each blob is its header, its LZ4 block at the ratio measured on real files
/// for that kind of data (`Ratio`) and its CRC; each row is an SQLite record laid out in pages as SQLite does
/// (`SQLitePages`); the empty schema's pages come on top.
public struct StorageEstimate: Sendable {
    public var tables: [TableEstimate]
    public var forwardTokens: Double
    public var flops: Double
    /// Pages of the empty schema (one root page per table and index, the schema table).
    public var emptyFileBytes: Double
    public var totalBytes: Double { tables.reduce(0) { $0 + $1.bytes } + emptyFileBytes }

    /// One term per table. To add a table, append a function from the shape to its estimate, built from
    /// `blobBytes` and `SQLitePages` (e.g. `{ s in LensResults.estimatedBytes(s) }`); every term adds to the total.
    public static let terms: [(StudyShape) -> TableEstimate] = [
        documents, neuronStats, languageStates, summaries, lensPrompts, lensStates, unembedding,
        tokenSets, lensResults, activationHistograms, neuronContexts,
    ]

    public init(_ shape: StudyShape, emptyFileBytes: Double) {
        tables = Self.terms.map { $0(shape) }
        self.emptyFileBytes = emptyFileBytes
        forwardTokens = shape.forwardTokens
        // Per pass, attention grows with its length: corpus documents, snippets and prompts separately.
        let c = shape.model
        func passes(_ count: Double, tokens: Double) -> Double {
            count > 0 && tokens >= 1 ? count * EngineBenchmark.prefillFLOPs(c, tokens: Int(tokens.rounded())) : 0
        }
        let corpusTokens = Double(shape.languages) * (Double(shape.tokensPerLanguage) - shape.heldOutTokensPerLanguage)
        flops = passes(shape.tokensPerDocument > 0 ? corpusTokens / shape.tokensPerDocument : 0, tokens: shape.tokensPerDocument)
            + passes(Double(shape.parallelDocuments), tokens: shape.parallelTokensPerItem)
            + passes(Double(shape.lensPrompts), tokens: shape.lensTokensPerPrompt)
    }

    /// The bytes of a freshly created, empty Polylens file of this build's schema (measured, so that every
    /// migration's tables and indexes count).
    public static func measuredEmptyFileBytes() throws -> Double {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("polylens-estimate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("empty.polylens")
        try PolylensFile.create(url).close()
        return Double((try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0)
    }

    // MARK: - Blobs

    /// Stored bytes of one blob: header (16 + 8 per dimension), LZ4 block (worst case raw + raw/255 + 16 when
    /// incompressible), CRC.
    public static func blobBytes(raw: Double, rank: Int, ratio: Double = 1) -> Double {
        guard raw > 0 else { return 21 + 8 * Double(rank) }
        return 20 + 8 * Double(rank) + min(raw / ratio, raw + raw / 255 + 16)
    }

    /// LZ4 ratios measured on polycode files with tools/measure_codecs.py (README, "Paper-scale files").
    public enum Ratio {
        /// q8_0 and f16 hidden states: the values of a near-Gaussian stream barely compress.
        public static let hiddenStates = 1.0
        /// Byte-shuffled float64 sums (1.10–1.19 measured) and float32 maxima (1.17).
        public static let shuffledFloats = 1.12
        /// Byte-shuffled non-negative integers below 2^bits: the zero high-byte planes vanish.
        public static func shuffledIntegers(width: Int, bits: Double) -> Double {
            Double(width) / (min(Double(width), (bits / 8).rounded(.up)) + 0.3)
        }
    }

    static func hiddenStateBytes(_ values: Double, codec: BlobDType) -> Double {
        codec == .q8_0 ? blobBytes(raw: (values / 32).rounded(.up) * 34, rank: 2, ratio: Ratio.hiddenStates)
            : blobBytes(raw: values * Double(codec.byteWidth), rank: 2, ratio: Ratio.hiddenStates)
    }

    static func bits(_ n: Double) -> Double { log2(max(n, 1) + 1) }

    // MARK: - Terms

    static func documents(_ s: StudyShape) -> TableEstimate {
        let heldOut = Double(s.languages) * s.heldOutDocumentsPerLanguage
        let corpus = Double(s.corpusDocuments), parallel = Double(s.parallelDocuments)
        let itemKey = 8.0
        // Record: header, run, language, source, item key, sha256 (64), bytes, tokens, created_at (20).
        let record = 12 + 1 + s.languageCharacters + s.sourceCharacters + 64 + 3 + 2 + 20
        let tokenIDs = heldOut > 0
            ? blobBytes(raw: 4 * Double(s.languages) * s.heldOutTokensPerLanguage / heldOut, rank: 1,
                        ratio: Ratio.shuffledIntegers(width: 4, bits: bits(Double(s.model.vocabSize)))) : 0
        var bytes = SQLitePages.tableBytes(rows: corpus - heldOut, payload: record)
            + SQLitePages.tableBytes(rows: heldOut, payload: record + tokenIDs)
            + SQLitePages.tableBytes(rows: parallel, payload: record + itemKey)
        // The unique index (run, language, sha256, item key) fills in hash order, not in insertion order.
        bytes += SQLitePages.indexBytes(rows: corpus + parallel, entry: 6 + s.languageCharacters + 64 + 3, fill: 0.7)
        bytes += parallel * itemKey / SQLitePages.fill
        return TableEstimate(table: "documents", rows: corpus + parallel, bytes: bytes)
    }

    static func neuronStats(_ s: StudyShape) -> TableEstimate {
        let rows = Double(s.statsLanguages * s.model.nLayers)
        let n = Double(s.model.hiddenDim)
        let payload = 10 + s.languageCharacters + 8
            + blobBytes(raw: 8 * n, rank: 1, ratio: Ratio.shuffledIntegers(width: 8, bits: bits(Double(s.countedTokensPerLanguage))))
            + 2 * blobBytes(raw: 8 * n, rank: 1, ratio: Ratio.shuffledFloats)
            + blobBytes(raw: 4 * n, rank: 1, ratio: Ratio.shuffledFloats)
        let bytes = SQLitePages.tableBytes(rows: rows, payload: payload)
            + SQLitePages.indexBytes(rows: rows, entry: 6 + s.languageCharacters + 3)
        return TableEstimate(table: "neuron_stats", rows: rows, bytes: bytes)
    }

    static func languageStates(_ s: StudyShape) -> TableEstimate {
        let rows = Double(s.statsLanguages * s.hiddenLayers)
        let payload = 10 + s.languageCharacters + 8 + 2 * blobBytes(raw: 8 * Double(s.model.dim), rank: 1, ratio: Ratio.shuffledFloats)
        let bytes = SQLitePages.tableBytes(rows: rows, payload: payload)
            + SQLitePages.indexBytes(rows: rows, entry: 6 + s.languageCharacters + 3)
        return TableEstimate(table: "language_states", rows: rows, bytes: bytes)
    }

    static func summaries(_ s: StudyShape) -> TableEstimate {
        let rows = s.summarizedDocuments * Double(s.storage.poolings.count)
        let payload = 8 + 3 + 8 + 3 + hiddenStateBytes(Double(s.hiddenLayers * s.model.dim), codec: s.storage.summaryCodec)
        let bytes = SQLitePages.tableBytes(rows: rows, payload: payload) + SQLitePages.indexBytes(rows: rows, entry: 16)
        return TableEstimate(table: "summaries", rows: rows, bytes: bytes)
    }

    static func lensPrompts(_ s: StudyShape) -> TableEstimate {
        let rows = Double(s.lensPrompts)
        let payload = 12 + 2 * s.languageCharacters + 8 + 6
            + blobBytes(raw: 4 * s.lensTokensPerPrompt, rank: 1, ratio: Ratio.shuffledIntegers(width: 4, bits: bits(Double(s.model.vocabSize))))
        let bytes = SQLitePages.tableBytes(rows: rows, payload: payload)
            + SQLitePages.indexBytes(rows: rows, entry: 6 + 2 * s.languageCharacters + 8, fill: 0.7)
        return TableEstimate(table: "lens_prompts", rows: rows, bytes: bytes)
    }

    static func lensStates(_ s: StudyShape) -> TableEstimate {
        guard let codec = s.lensStateCodec else { return TableEstimate(table: "lens_states", rows: 0, bytes: 0) }
        let rows = Double(s.lensPrompts * s.hiddenLayers)
        let payload = 8 + hiddenStateBytes(s.lensPositionsPerPrompt * Double(s.model.dim), codec: codec)
        let bytes = SQLitePages.tableBytes(rows: rows, payload: payload) + SQLitePages.indexBytes(rows: rows, entry: 10)
        return TableEstimate(table: "lens_states", rows: rows, bytes: bytes)
    }

    /// English and one keyword set per language: a few thousand ids each, shuffled.
    static func tokenSets(_ s: StudyShape) -> TableEstimate {
        guard s.lensPrompts > 0 else { return TableEstimate(table: "token_sets", rows: 0, bytes: 0) }
        let rows = Double(s.lensSetCount)
        let payload = 64 + blobBytes(raw: 4 * 2000, rank: 1, ratio: Ratio.shuffledIntegers(width: 4, bits: bits(Double(s.model.vocabSize))))
        return TableEstimate(table: "token_sets", rows: rows, bytes: SQLitePages.tableBytes(rows: rows, payload: payload))
    }

    /// One row per prompt: top-k ids and probabilities, the correct token's probability and rank, entropy and
    /// every set's mass over (layer, position), all byte-shuffled (LensPromptResult).
    static func lensResults(_ s: StudyShape) -> TableEstimate {
        let rows = Double(s.lensPrompts)
        guard rows > 0 else { return TableEstimate(table: "lens_results", rows: 0, bytes: 0) }
        let cells = s.lensPositionsPerPrompt * Double(s.hiddenLayers), k = Double(s.lensTop)
        let ids = Ratio.shuffledIntegers(width: 4, bits: bits(Double(s.model.vocabSize)))
        let payload = 40 + blobBytes(raw: 4 * cells * k, rank: 3, ratio: ids)
            + blobBytes(raw: 4 * cells * k, rank: 3, ratio: Ratio.shuffledFloats)
            + blobBytes(raw: 4 * cells, rank: 2, ratio: Ratio.shuffledFloats)
            + blobBytes(raw: 4 * cells, rank: 2, ratio: ids)
            + blobBytes(raw: 4 * cells, rank: 2, ratio: Ratio.shuffledFloats)
            + blobBytes(raw: 4 * cells * Double(s.lensSetCount), rank: 3, ratio: Ratio.shuffledFloats)
        let bytes = SQLitePages.tableBytes(rows: rows, payload: payload) + SQLitePages.indexBytes(rows: rows, entry: 10)
        return TableEstimate(table: "lens_results", rows: rows, bytes: bytes)
    }

    /// Counts of 40 bins per (language, layer, neuron), at the ratio measured on polycode (NeuronActivityStorage).
    static func activationHistograms(_ s: StudyShape) -> TableEstimate {
        guard s.activationHistograms else { return TableEstimate(table: "activation_histograms", rows: 0, bytes: 0) }
        let rows = Double(s.statsLanguages * s.model.nLayers)
        let raw = Double(NeuronActivityStorage.rawBytes(layers: 1, neurons: s.model.hiddenDim, languages: 1, histograms: true, contexts: nil))
        let payload = 10 + s.languageCharacters + blobBytes(raw: raw, rank: 2, ratio: NeuronActivityStorage.histogramRatio)
        return TableEstimate(table: "activation_histograms", rows: rows,
                             bytes: SQLitePages.tableBytes(rows: rows, payload: payload) + SQLitePages.indexBytes(rows: rows, entry: 6 + s.languageCharacters + 3))
    }

    /// Per (scope, layer): the top contexts of every neuron, scope `*` and each language (NeuronActivityStorage).
    static func neuronContexts(_ s: StudyShape) -> TableEstimate {
        guard let c = s.contexts, c.collected > 0 else { return TableEstimate(table: "neuron_contexts", rows: 0, bytes: 0) }
        let scopes = Double(1 + s.statsLanguages), rows = scopes * Double(s.model.nLayers)
        let raw = Double(NeuronActivityStorage.rawBytes(layers: s.model.nLayers, neurons: s.model.hiddenDim, languages: s.statsLanguages,
                                                        histograms: false, contexts: c))
        let payload = 20 + s.languageCharacters + 4 * 40 + raw / rows / NeuronActivityStorage.contextRatio
        return TableEstimate(table: "neuron_contexts", rows: rows,
                             bytes: SQLitePages.tableBytes(rows: rows, payload: payload) + SQLitePages.indexBytes(rows: rows, entry: 6 + s.languageCharacters + 3))
    }

    static func unembedding(_ s: StudyShape) -> TableEstimate {
        guard s.embedUnembedding else { return TableEstimate(table: "unembedding", rows: 0, bytes: 0) }
        let d = Double(s.model.dim)
        let payload = 10 + blobBytes(raw: 4 * d, rank: 1) + blobBytes(raw: 2 * d * Double(s.model.vocabSize), rank: 2)
        return TableEstimate(table: "unembedding", rows: 1, bytes: SQLitePages.tableBytes(rows: 1, payload: payload))
    }
}

/// How SQLite lays rows out in 4 KiB pages (https://sqlite.org/fileformat2.html, b-tree cells and overflow):
/// a row whose payload P exceeds X = U − 35 keeps K = M + (P − M) mod (U − 4) bytes in its leaf (or M when K > X)
/// and the rest in full overflow pages; leaves hold as many cells as fit.
public enum SQLitePages {
    static let page = 4096.0
    static let usable = 4096.0
    /// Leaves of tables filled in rowid order end nearly full; a little is lost to interior pages and headers.
    public static let fill = 0.97

    /// Bytes of `rows` rows of `payload` bytes each in a rowid table.
    public static func tableBytes(rows: Double, payload: Double) -> Double {
        guard rows > 0 else { return 0 }
        let maxLocal = usable - 35, minLocal = ((usable - 12) * 32 / 255).rounded(.down) - 23
        var local = payload, overflow = 0.0
        if payload > maxLocal {
            let k = minLocal + (payload - minLocal).truncatingRemainder(dividingBy: usable - 4)
            local = k <= maxLocal ? k : minLocal
            overflow = ((payload - local) / (usable - 4)).rounded(.up)
        }
        let cell = local.rounded(.up) + 4 + 9   // pointer, rowid and size varints
        let cellsPerLeaf = max(1, ((usable - 8) / cell).rounded(.down))
        return rows * (overflow * page + page / cellsPerLeaf / fill)
    }

    /// Bytes of an index of `rows` entries of `entry` bytes (key and rowid), `fill` the leaves' mean occupancy.
    public static func indexBytes(rows: Double, entry: Double, fill: Double = SQLitePages.fill) -> Double {
        rows * (entry + 4 + 2) / fill
    }
}
