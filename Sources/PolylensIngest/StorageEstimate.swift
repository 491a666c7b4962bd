import PolylensEngine
import PolylensModel
import PolylensStore

/// Projected bytes of one table of a Polylens file.
public struct TableEstimate: Sendable, Codable {
    public var table: String
    public var rows: Double
    public var bytes: Double
    public init(table: String, rows: Double, bytes: Double) { self.table = table; self.rows = rows; self.bytes = bytes }
}

/// What `polylens estimate` prints: bytes per table and in total, forward tokens and FLOPs.
public struct StorageEstimate: Sendable {
    public var tables: [TableEstimate]
    public var forwardTokens: Double
    public var flops: Double
    public var totalBytes: Double { tables.reduce(0) { $0 + $1.bytes } + Self.fixedBytes }

    /// The file's own pages: SQLite header, schema, the migrations table, the runs row.
    public static let fixedBytes = 48.0 * 1024

    /// One term per table. To add a table, append a term computing its rows and bytes from the shape with the
    /// blob and row sizes below (e.g. `{ s in LensResults.estimatedBytes(s) }`): every term adds to the total.
    public static let terms: [(StudyShape) -> TableEstimate] = [
        documents, neuronStats, languageStates, summaries, lensPrompts, lensStates, unembedding,
    ]

    public init(_ shape: StudyShape) {
        tables = Self.terms.map { $0(shape) }
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

    // MARK: - Sizes of blobs and rows

    /// Stored bytes of one blob: header (16 + 8 per dimension), LZ4 block, CRC. `ratio` is the LZ4 ratio
    /// measured on real files for that kind of blob (README, "Paper-scale files").
    public static func blobBytes(raw: Double, rank: Int, ratio: Double = 1) -> Double {
        20 + 8 * Double(rank) + raw / ratio + raw / 255
    }

    /// LZ4 ratios measured on polycode files (`polylens info`), by what a blob holds.
    public enum Ratio {
        /// q8_0 hidden states: int8 values of a near-Gaussian stream barely compress.
        public static let q8_0 = 1.0
        /// f16 hidden states, unfiltered.
        public static let f16 = 1.0
        /// Byte-shuffled float64 sums and float32 maxima: the sign/exponent planes compress.
        public static let shuffledFloats = 1.15
        /// Byte-shuffled activation counts (i64): the zero high-byte planes vanish.
        public static let shuffledCounts = 2.5
        /// Byte-shuffled token ids (i32).
        public static let shuffledTokenIDs = 1.3
    }

    /// SQLite's cost of a row beyond its blobs: record header and integers, the b-tree cell, page slack.
    static let rowOverhead = 24.0
    /// Leaf pages are not full; rows too big for one page go to overflow pages, the last one partly empty.
    static func paged(_ bytes: Double, rows: Double, rowBytes: Double) -> Double {
        let overflowSlack = rowBytes > 4000 ? 2048.0 * rows : 0
        return bytes * 1.04 + overflowSlack
    }

    static func hiddenStateBytes(_ values: Double, codec: BlobDType) -> Double {
        codec == .q8_0 ? blobBytes(raw: (values / 32).rounded(.up) * 34, rank: 2, ratio: Ratio.q8_0)
            : blobBytes(raw: values * Double(codec.byteWidth), rank: 2, ratio: Ratio.f16)
    }

    // MARK: - Terms

    static func documents(_ s: StudyShape) -> TableEstimate {
        let heldOut = Double(s.languages) * s.heldOutDocumentsPerLanguage
        let rows = Double(s.corpusDocuments + s.parallelDocuments)
        // sha256 (64), source, language, timestamp (20), numbers, and the unique index (run, language, sha256, item).
        let record = 64 + s.sourceCharacters + s.languageCharacters + 20 + 16 + rowOverhead
        let index = 64 + s.languageCharacters + 16 + rowOverhead / 2
        let itemKeys = Double(s.parallelDocuments) * 2 * 8
        let tokenIDs = heldOut * blobBytes(raw: 0, rank: 1)
            + Double(s.languages) * s.heldOutTokensPerLanguage * 4 / Ratio.shuffledTokenIDs
        let bytes = rows * (record + index) + itemKeys + tokenIDs
        return TableEstimate(table: "documents", rows: rows, bytes: paged(bytes, rows: rows, rowBytes: record))
    }

    static func neuronStats(_ s: StudyShape) -> TableEstimate {
        let rows = Double(s.languages * s.model.nLayers)
        let n = Double(s.model.hiddenDim)
        let row = blobBytes(raw: 8 * n, rank: 1, ratio: Ratio.shuffledCounts)
            + 2 * blobBytes(raw: 8 * n, rank: 1, ratio: Ratio.shuffledFloats)
            + blobBytes(raw: 4 * n, rank: 1, ratio: Ratio.shuffledFloats) + s.languageCharacters + rowOverhead
        return TableEstimate(table: "neuron_stats", rows: rows, bytes: paged(rows * row, rows: rows, rowBytes: row))
    }

    static func languageStates(_ s: StudyShape) -> TableEstimate {
        let rows = Double(s.languages * s.hiddenLayers)
        let row = 2 * blobBytes(raw: 8 * Double(s.model.dim), rank: 1, ratio: Ratio.shuffledFloats) + s.languageCharacters + rowOverhead
        return TableEstimate(table: "language_states", rows: rows, bytes: paged(rows * row, rows: rows, rowBytes: row))
    }

    static func summaries(_ s: StudyShape) -> TableEstimate {
        let rows = s.summarizedDocuments * Double(s.storage.poolings.count)
        let row = hiddenStateBytes(Double(s.hiddenLayers * s.model.dim), codec: s.storage.summaryCodec) + 8 + rowOverhead
        return TableEstimate(table: "summaries", rows: rows, bytes: paged(rows * row, rows: rows, rowBytes: row))
    }

    static func lensPrompts(_ s: StudyShape) -> TableEstimate {
        let rows = Double(s.lensPrompts)
        let row = blobBytes(raw: 4 * s.lensTokensPerPrompt, rank: 1, ratio: Ratio.shuffledTokenIDs)
            + 2 * s.languageCharacters + 8 + 16 + rowOverhead + 40  // + the unique index
        return TableEstimate(table: "lens_prompts", rows: rows, bytes: paged(rows * row, rows: rows, rowBytes: row))
    }

    static func lensStates(_ s: StudyShape) -> TableEstimate {
        guard let codec = s.lensStateCodec else { return TableEstimate(table: "lens_states", rows: 0, bytes: 0) }
        let rows = Double(s.lensPrompts * s.hiddenLayers)
        let row = hiddenStateBytes(s.lensPositionsPerPrompt * Double(s.model.dim), codec: codec) + rowOverhead
        return TableEstimate(table: "lens_states", rows: rows, bytes: paged(rows * row, rows: rows, rowBytes: row))
    }

    static func unembedding(_ s: StudyShape) -> TableEstimate {
        guard s.embedUnembedding else { return TableEstimate(table: "unembedding", rows: 0, bytes: 0) }
        let d = Double(s.model.dim)
        let bytes = blobBytes(raw: 4 * d, rank: 1) + blobBytes(raw: 2 * d * Double(s.model.vocabSize), rank: 2, ratio: Ratio.f16)
        return TableEstimate(table: "unembedding", rows: 1, bytes: paged(bytes, rows: 1, rowBytes: bytes))
    }
}
