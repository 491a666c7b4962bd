import Foundation

/// Everything the HTML report shows, as plain numbers and labels. The report renders only from this,
/// so it can be tested with hand-made values; `ReportBuilder` fills it from a Polylens file.
/// A nil section is one the file has no data for; the page says so, with `absentReasons` when known.
public struct ReportData: Sendable {
    public var title: String
    public var provenance: ProvenanceSection?
    public var lens: LensSection?
    public var mexa: MexaSection?
    public var lape: LapeSection?
    public var ablation: AblationSection?
    /// Why a section is missing (e.g. "no neuron set saved; run `polylens lape FILE --save NAME`").
    public var absentReasons: [ReportSectionID: String]

    public init(title: String, provenance: ProvenanceSection? = nil, lens: LensSection? = nil,
                mexa: MexaSection? = nil, lape: LapeSection? = nil, ablation: AblationSection? = nil,
                absentReasons: [ReportSectionID: String] = [:]) {
        self.title = title; self.provenance = provenance; self.lens = lens; self.mexa = mexa
        self.lape = lape; self.ablation = ablation; self.absentReasons = absentReasons
    }
}

/// The report's detail sections, in page order after the findings; the raw value is the section's HTML id.
/// Provenance comes last: it says where the numbers came from, once the reader has seen them.
public enum ReportSectionID: String, Sendable, CaseIterable {
    case lens, mexa, lape, ablation, provenance

    public var heading: String {
        switch self {
        case .provenance: return "Provenance"
        case .lens: return "Logit lens"
        case .mexa: return "MEXA cross-lingual alignment"
        case .lape: return "LAPE language-specific neurons"
        case .ablation: return "Ablation"
        }
    }
}

/// Where the numbers came from: the model, the corpora and the ingest parameters.
public struct ProvenanceSection: Sendable {
    public struct Corpus: Sendable, Equatable {
        public var language: String
        public var documents: Int
        /// Tokens counted into the neuron statistics (BOS included).
        public var tokens: Int
        public var heldOutDocuments: Int
        public var heldOutTokens: Int
        /// Parallel snippets among the documents.
        public var parallelDocuments: Int
        public init(language: String, documents: Int, tokens: Int, heldOutDocuments: Int = 0,
                    heldOutTokens: Int = 0, parallelDocuments: Int = 0) {
            self.language = language; self.documents = documents; self.tokens = tokens
            self.heldOutDocuments = heldOutDocuments; self.heldOutTokens = heldOutTokens
            self.parallelDocuments = parallelDocuments
        }
    }

    public var file: String
    public var modelPath: String
    public var modelFormat: String
    public var modelSHA256: String
    public var tokenizerPath: String
    public var tokenizerSHA256: String
    /// Architecture numbers (dim, layers, heads, vocabulary …) as name–value pairs, in display order.
    public var architecture: [(String, String)]
    /// Ingest parameters as name–value pairs.
    public var parameters: [(String, String)]
    public var corpora: [Corpus]
    /// The Polylens version that wrote the file, and the one that rendered the report.
    public var fileVersion: String
    public var reportVersion: String

    public init(file: String, modelPath: String, modelFormat: String, modelSHA256: String, tokenizerPath: String,
                tokenizerSHA256: String, architecture: [(String, String)], parameters: [(String, String)],
                corpora: [Corpus], fileVersion: String, reportVersion: String) {
        self.file = file; self.modelPath = modelPath; self.modelFormat = modelFormat; self.modelSHA256 = modelSHA256
        self.tokenizerPath = tokenizerPath; self.tokenizerSHA256 = tokenizerSHA256
        self.architecture = architecture; self.parameters = parameters; self.corpora = corpora
        self.fileVersion = fileVersion; self.reportVersion = reportVersion
    }
}

/// Logit-lens summaries per (source, target) translation pair.
public struct LensSection: Sendable {
    public struct Curve: Sendable {
        /// e.g. "English words", "Java keywords", "correct next token".
        public var name: String
        /// Probability (0–1) at each of `Pair.layers`; non-finite = not measured.
        public var values: [Double]
        /// The 95% interval over prompts at each layer, when measured.
        public var low: [Double]?
        public var high: [Double]?
        /// Which of the lens's series this is (its colour, and what the summary reads from it).
        public var series: StudyCharts.LensSeries
        public init(name: String, series: StudyCharts.LensSeries, values: [Double], low: [Double]? = nil, high: [Double]? = nil) {
            self.name = name; self.series = series; self.values = values; self.low = low; self.high = high
        }
    }

    public struct LayerTokens: Sendable {
        public var layer: Int
        /// Most probable decoded tokens, best first, with their mean probability.
        public var tokens: [(token: String, probability: Double)]
        public init(layer: Int, tokens: [(token: String, probability: Double)]) { self.layer = layer; self.tokens = tokens }
    }

    public struct Pair: Sendable {
        public var source: String
        public var target: String
        public var prompts: Int
        /// Positions averaged over (all prompts together).
        public var positions: Int
        /// x values of the curves: 0 = embeddings … L.
        public var layers: [Int]
        public var curves: [Curve]
        public var topTokens: [LayerTokens]
        /// The heading, when not "source → target" (the average over all pairs).
        public var label: String?
        public init(source: String, target: String, prompts: Int, positions: Int, layers: [Int],
                    curves: [Curve], topTokens: [LayerTokens], label: String? = nil) {
            self.source = source; self.target = target; self.prompts = prompts; self.positions = positions
            self.layers = layers; self.curves = curves; self.topTokens = topTokens; self.label = label
        }
    }

    public var pairs: [Pair]
    /// The average over every pair (token sets by role: the target's and the source's keywords), when there are several.
    public var average: Pair?
    /// How the token sets and averages were defined (one sentence, shown above the charts).
    public var method: String

    public init(pairs: [Pair], average: Pair? = nil, method: String) { self.pairs = pairs; self.average = average; self.method = method }
}

/// MEXA alignment of every language pair at every layer.
public struct MexaSection: Sendable {
    public var languages: [String]
    public var layers: [Int]
    /// scores[layerIndex][a][b] = MEXA(languages[a], languages[b], layers[layerIndex]).
    public var scores: [[[Double]]]
    /// Layers (values of `layers`) drawn as heatmaps.
    public var heatmapLayers: [Int]
    /// pivotAverages[p][layerIndex]: mean alignment of languages[p] with the others.
    public var pivotAverages: [[Double]]
    public var includesSelf: Bool
    /// "weighted" (position-weighted mean) or "last".
    public var pooling: String
    /// Parallel items per language.
    public var items: Int
    /// scoreIntervals[layerIndex][a][b] and pivotIntervals[p][layerIndex]: (low, high) over items; empty when unknown.
    public var scoreIntervals: [[[ReportInterval]]]
    public var pivotIntervals: [[ReportInterval]]
    /// How the intervals were made (shown with them).
    public var intervalMethod: String?

    public init(languages: [String], layers: [Int], scores: [[[Double]]], heatmapLayers: [Int],
                pivotAverages: [[Double]], includesSelf: Bool, pooling: String, items: Int,
                scoreIntervals: [[[ReportInterval]]] = [], pivotIntervals: [[ReportInterval]] = [], intervalMethod: String? = nil) {
        self.languages = languages; self.layers = layers; self.scores = scores; self.heatmapLayers = heatmapLayers
        self.pivotAverages = pivotAverages; self.includesSelf = includesSelf; self.pooling = pooling; self.items = items
        self.scoreIntervals = scoreIntervals; self.pivotIntervals = pivotIntervals; self.intervalMethod = intervalMethod
    }
}

/// A confidence interval as the report shows it.
public struct ReportInterval: Sendable, Equatable {
    public var low: Double
    public var high: Double
    public init(low: Double, high: Double) { self.low = low; self.high = high }
    public static let unknown = ReportInterval(low: .nan, high: .nan)
}

/// LAPE's selected neurons.
public struct LapeSection: Sendable {
    public var languages: [String]
    public var layers: Int
    /// countsPerLayer[language][layer].
    public var countsPerLayer: [[Int]]
    /// overlap[a][b]: neurons selected for both; the diagonal is each set's size.
    public var overlap: [[Int]]
    /// Neurons selected for every language, sorted by (layer, neuron).
    public var sharedByAll: [(layer: Int, neuron: Int)]
    public var tau: Double
    public var quantile: Double
    /// e.g. "per language, ν = 400" or "top rate 1 %".
    public var selection: String
    /// The most selective neurons of each language with their contexts; nil when the file holds none.
    public var cards: NeuronCardsSection?
    /// What makes the selection doubtful (`LAPEWarnings`), shown above the charts.
    public var warnings: [String] = []

    public init(languages: [String], layers: Int, countsPerLayer: [[Int]], overlap: [[Int]],
                sharedByAll: [(layer: Int, neuron: Int)], tau: Double, quantile: Double, selection: String) {
        self.languages = languages; self.layers = layers; self.countsPerLayer = countsPerLayer
        self.overlap = overlap; self.sharedByAll = sharedByAll; self.tau = tau; self.quantile = quantile
        self.selection = selection
    }
}

/// Held-out NLL before and after zeroing each language's neurons, and for the random control: exactly one
/// ablation run (or, in a file from before schema version 5, one set's rows without recorded provenance).
public struct AblationSection: Sendable {
    public struct Entry: Sendable, Equatable {
        /// The language whose neuron set was zeroed.
        public var ablated: String
        /// The language whose held-out tokens were scored.
        public var evaluated: String
        /// A random set with the same per-layer counts as `ablated`'s (for several seeds: their mean).
        public var control: Bool
        public var tokens: Int
        /// Nats per predicted token.
        public var nllBefore: Double
        public var nllAfter: Double
        /// The ΔNLL interval over documents (`AblationSection.intervalMethod`); unknown for unrecorded rows.
        public var interval: ReportInterval
        /// For a control: the sample standard deviation of ΔNLL across seeds, and how many seeds.
        public var spread: Double
        public var seeds: Int
        public init(ablated: String, evaluated: String, control: Bool, tokens: Int, nllBefore: Double, nllAfter: Double,
                    interval: ReportInterval = .unknown, spread: Double = .nan, seeds: Int = 0) {
            self.ablated = ablated; self.evaluated = evaluated; self.control = control; self.tokens = tokens
            self.nllBefore = nllBefore; self.nllAfter = nllAfter; self.interval = interval; self.spread = spread; self.seeds = seeds
        }
        public var change: Double { nllAfter - nllBefore }
    }

    /// Which result this is: the set's identity as the ablation recorded it and the ablation's own settings.
    public struct Provenance: Sendable, Equatable {
        public var ablationID: Int64
        public var setSHA256: String
        /// "saved" (the set of that name is still this content), "replaced since" or "deleted since".
        public var setStatus: String
        /// The ablation's settings (JSON as stored).
        public var settings: String
        public var createdAt: String
        /// Other ablation runs in the file, not shown (`polylens results` lists them; `report --ablation ID` picks one).
        public var otherRuns: [Int64]
        public init(ablationID: Int64, setSHA256: String, setStatus: String, settings: String, createdAt: String, otherRuns: [Int64]) {
            self.ablationID = ablationID; self.setSHA256 = setSHA256; self.setStatus = setStatus; self.settings = settings
            self.createdAt = createdAt; self.otherRuns = otherRuns
        }
    }

    public var setName: String
    /// How the set was selected, as recorded with the result (JSON), if known.
    public var setParameters: String?
    /// Nil: rows from before schema version 5, whose set and settings were not recorded.
    public var provenance: Provenance?
    /// How the intervals and the control's spread were made.
    public var intervalMethod: String?
    public var entries: [Entry]

    public init(setName: String, setParameters: String? = nil, provenance: Provenance? = nil, intervalMethod: String? = nil,
                entries: [Entry]) {
        self.setName = setName; self.setParameters = setParameters; self.provenance = provenance
        self.intervalMethod = intervalMethod; self.entries = entries
    }
}
