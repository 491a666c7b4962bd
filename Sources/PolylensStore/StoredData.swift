import Foundation

/// The values that ingest writes and the analyses read, independent of how the file lays them out.

/// Neuron statistics of one (language, layer), over the tokens of that language's counted documents.
public struct NeuronStats: Sendable, Equatable {
    public var language: String
    public var layer: Int
    /// Tokens counted (n_k in METHODS.md), BOS included.
    public var tokens: Int64
    /// Per MLP neuron: count of a > 0, with a = SiLU(gate_proj · x).
    public var active: [Int64]
    public var sum: [Double]
    public var sumSquares: [Double]
    /// -infinity where no token was seen.
    public var max: [Float]

    public init(language: String, layer: Int, neurons: Int) {
        self.language = language; self.layer = layer; tokens = 0
        active = Array(repeating: 0, count: neurons)
        sum = Array(repeating: 0, count: neurons)
        sumSquares = Array(repeating: 0, count: neurons)
        max = Array(repeating: -.infinity, count: neurons)
    }

    public init(language: String, layer: Int, tokens: Int64, active: [Int64], sum: [Double], sumSquares: [Double], max: [Float]) {
        self.language = language; self.layer = layer; self.tokens = tokens
        self.active = active; self.sum = sum; self.sumSquares = sumSquares; self.max = max
    }

    public var neurons: Int { active.count }

    /// Adds the statistics of disjoint tokens (resumed ingests, merged shards).
    public mutating func add(_ o: NeuronStats) {
        precondition(o.neurons == neurons, "adding statistics of different widths")
        tokens += o.tokens
        for i in 0..<neurons {
            active[i] += o.active[i]; sum[i] += o.sum[i]; sumSquares[i] += o.sumSquares[i]
            max[i] = Swift.max(max[i], o.max[i])
        }
    }
}

/// How a document's hidden states are pooled into one vector per layer (METHODS.md §2).
public enum Pooling: String, Sendable, CaseIterable {
    /// Σ t·h_t / Σ t, t = 1..T, BOS included (MEXA's default).
    case weightedMean = "weighted"
    case mean
    case last
}

/// One document's pooled hidden states: `layers` rows (0 = embeddings … L) of `dim` values, row-major.
public struct DocumentSummary: Sendable {
    public var pooling: Pooling
    public var layers: Int
    public var dim: Int
    public var values: [Float]
    public init(pooling: Pooling, layers: Int, dim: Int, values: [Float]) {
        self.pooling = pooling; self.layers = layers; self.dim = dim; self.values = values
    }
    public func layer(_ l: Int) -> ArraySlice<Float> { values[(l * dim)..<((l + 1) * dim)] }
}

/// One few-shot translation prompt and the residual stream at the positions that predict its target snippet.
public struct LensPrompt: Sendable {
    public var source: String
    public var target: String
    /// The parallel item (snippet id) under test.
    public var itemKey: String
    /// All token ids of the prompt, BOS first.
    public var tokens: [Int32]
    /// The first position whose next token belongs to the target snippet; states cover
    /// positions firstPosition ..< tokens.count - 1 (position p predicts tokens[p + 1]).
    public var firstPosition: Int
    public var layers: Int
    public var dim: Int
    /// layers × positions × dim, row-major; layer 0 = embeddings, layer l = residual after block l-1
    /// (before the final norm; the lens applies it). Empty when the states were not stored (ingest
    /// without `--lens-states` keeps only the lens results).
    public var states: [Float]

    public init(source: String, target: String, itemKey: String, tokens: [Int32], firstPosition: Int,
                layers: Int, dim: Int, states: [Float]) {
        self.source = source; self.target = target; self.itemKey = itemKey; self.tokens = tokens
        self.firstPosition = firstPosition; self.layers = layers; self.dim = dim; self.states = states
    }

    public var positions: Int { tokens.count - 1 - firstPosition }
}

/// Where the numbers came from, recorded once per ingest run.
public struct RunInfo: Sendable, Equatable {
    public var modelPath: String
    public var modelFormat: String
    public var modelSHA256: String
    public var tokenizerPath: String
    public var tokenizerSHA256: String
    /// Architecture numbers as JSON (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, ...).
    public var architectureJSON: String
    /// Every ingest parameter as JSON, so that a resumed run can be recognised as the same.
    public var parametersJSON: String
    public var polylensVersion: String

    public init(modelPath: String, modelFormat: String, modelSHA256: String, tokenizerPath: String,
                tokenizerSHA256: String, architectureJSON: String, parametersJSON: String, polylensVersion: String) {
        self.modelPath = modelPath; self.modelFormat = modelFormat; self.modelSHA256 = modelSHA256
        self.tokenizerPath = tokenizerPath; self.tokenizerSHA256 = tokenizerSHA256
        self.architectureJSON = architectureJSON; self.parametersJSON = parametersJSON
        self.polylensVersion = polylensVersion
    }
}

/// A document as ingest saw it.
public struct DocumentInfo: Sendable, Equatable {
    public var language: String
    /// A path, `jsonl:FILE:LINE` or `parallel:LANG/ID`.
    public var source: String
    /// The parallel item id (e.g. `1010-2`) for parallel snippets, nil for corpus documents.
    public var itemKey: String?
    /// sha256 of the UTF-8 content, hex; documents are deduplicated by it.
    public var sha256: String
    public var bytes: Int
    /// Tokens after truncation, BOS included.
    public var tokens: Int
    /// Held out from the neuron statistics, kept for ablation's evaluation.
    public var heldOut: Bool
    /// The token ids, stored for held-out documents so ablation can evaluate from the file.
    public var tokenIds: [Int32]?

    public init(language: String, source: String, itemKey: String?, sha256: String, bytes: Int, tokens: Int,
                heldOut: Bool, tokenIds: [Int32]?) {
        self.language = language; self.source = source; self.itemKey = itemKey; self.sha256 = sha256
        self.bytes = bytes; self.tokens = tokens; self.heldOut = heldOut; self.tokenIds = tokenIds
    }
}

/// Everything ingest commits in one transaction: the documents and the statistics they contribute,
/// so a crash leaves either both or neither.
public struct IngestBatch: Sendable {
    public var documents: [DocumentInfo]
    /// Deltas to add to the stored statistics (held-out documents contribute none).
    public var stats: [NeuronStats]
    /// Summaries of `documents[index]`.
    public var summaries: [(documentIndex: Int, summary: DocumentSummary)]
    public var lensPrompts: [LensPrompt]
    /// Deltas to add to the stored per-language hidden-state sums (like `stats`).
    public var languageStates: [LanguageState] = []
    /// How summaries are stored: f16, or q8_0 (a quarter of f32; IngestOptions chooses).
    public var summaryCodec: BlobDType = .f16
    /// How lens states are stored: f16 or q8_0 (IngestOptions chooses).
    public var lensStateCodec: BlobDType = .f16
    /// The lens computed at ingest, one per prompt of `lensPrompts` (matched by source, target and item).
    public var lensResults: [LensPromptResult]
    /// Histograms and top-context candidates of the batch's documents; nil when ingest collects none.
    public var activity: NeuronActivityDelta?

    public init(documents: [DocumentInfo] = [], stats: [NeuronStats] = [],
                summaries: [(documentIndex: Int, summary: DocumentSummary)] = [], lensPrompts: [LensPrompt] = [],
                lensResults: [LensPromptResult] = [], activity: NeuronActivityDelta? = nil) {
        self.documents = documents; self.stats = stats; self.summaries = summaries; self.lensPrompts = lensPrompts
        self.lensResults = lensResults; self.activity = activity
    }
}

/// What a batch adds to the activation histograms and top contexts (issue 12): histograms per (language,
/// layer), and per (language, layer) each neuron's best `shape.collected` contexts among the batch's tokens,
/// their `document` being the index into the batch's documents.
public struct NeuronActivityDelta: Sendable {
    public var shape: ContextShape?
    public var histograms: [ActivationHistogram]
    public var contexts: [NeuronContextTable]

    public init(shape: ContextShape?, histograms: [ActivationHistogram], contexts: [NeuronContextTable]) {
        self.shape = shape; self.histograms = histograms; self.contexts = contexts
    }
}
