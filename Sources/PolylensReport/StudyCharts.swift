import Foundation

/// The study's charts, built here once for both `--plot` and the report, so that a series has the same colour,
/// name and layer labels wherever it is drawn: lens roles in fixed palette slots, languages in slots fixed by name.
public enum StudyCharts {
    /// Layer 0 of the residual stream is the embeddings' output, not a block.
    public static func layerName(_ layer: Int) -> String { layer == 0 ? "embeddings" : "\(layer)" }

    /// The x axis of residual-stream layers (lens, MEXA): 0 is labelled "embeddings".
    static let residualLayerAxis = AxisLabel("layer", unit: "0 = embeddings")

    /// The logit lens's series, each in its own palette slot: English blue, target keywords orange, source keywords
    /// green, the correct next token black.
    public enum LensSeries: Int, Sendable, CaseIterable {
        case english, targetKeywords, sourceKeywords, correctToken

        /// The lens's token-set roles (`LensRole` order: English, target, source) as series.
        public static func role(_ index: Int) -> LensSeries { LensSeries(rawValue: index) ?? .english }

        public var colorIndex: Int { self == .correctToken ? 6 : rawValue }
    }

    /// One lens curve: a value per layer and, when known, its interval.
    public struct LensCurve: Sendable {
        public var name: String
        public var series: LensSeries
        public var values: [Double]
        public var low: [Double]?
        public var high: [Double]?
        public init(name: String, series: LensSeries, values: [Double], low: [Double]? = nil, high: [Double]? = nil) {
            self.name = name; self.series = series; self.values = values; self.low = low; self.high = high
        }
    }

    /// Probability of each token set and of the correct token against layer, intervals as bands.
    public static func lens(title: String, description: String, layers: [Int], curves: [LensCurve],
                            yLabel: AxisLabel = AxisLabel("mean probability", unit: "0–1"),
                            width: Double = 560, height: Double = 320) -> SVGElement {
        var chart = LineChart(
            title: title, description: description, xLabel: residualLayerAxis, yLabel: yLabel,
            series: curves.map { c in
                let band = zip(c.low ?? [], c.high ?? []).map { (low: $0, high: $1) }
                return LineChart.Series(name: c.name, points: zip(layers, c.values).map { (Double($0.0), $0.1) },
                                        band: band.isEmpty ? nil : band, colorIndex: c.series.colorIndex)
            },
            yIncludesZero: true, width: width, height: height)
        chart.xTickNames = [0: layerName(0)]
        return chart.svg
    }

    /// Mean MEXA alignment of each pivot with the others against layer; `averages[p][layerIndex]`, pivots
    /// `pivots` (indices into `languages`), intervals as bands when given.
    public static func mexaPivots(languages: [String], pivots: [Int]? = nil, layers: [Int], averages: [[Double]],
                                  intervals: [[(low: Double, high: Double)]] = [], selfNote: String,
                                  width: Double = 720, height: Double = 380) -> SVGElement {
        var chart = LineChart(
            title: "Alignment by layer, per pivot language",
            description: "Mean MEXA score of each pivot language with the other languages at each layer, \(selfNote).",
            xLabel: residualLayerAxis, yLabel: AxisLabel("mean MEXA score", unit: "fraction of items"),
            series: (pivots ?? Array(languages.indices)).map { p in
                let band = intervals[safe: p].flatMap { $0.isEmpty ? nil : $0 }
                return LineChart.Series(name: languages[p], points: layers.indices.map { i in
                    (Double(layers[i]), averages[safe: p]?[safe: i] ?? .nan)
                }, band: band, colorIndex: Palette.languageSlot(languages[p], among: languages))
            },
            yRange: 0...1, width: width, height: height)
        chart.xTickNames = [0: layerName(0)]
        return chart.svg
    }

    /// MEXA of every language pair at one residual layer.
    public static func mexaPairs(layer: Int, languages: [String], scores: [[Double]]) -> SVGElement {
        Heatmap(
            title: "MEXA at layer \(layerName(layer))",
            description: "Alignment of each language pair at layer \(layerName(layer)) (strict row-and-column rule).",
            rowLabels: languages, columnLabels: languages, values: scores,
            rowAxis: AxisLabel("language A"), columnAxis: AxisLabel("language B"),
            valueLabel: AxisLabel("MEXA", unit: "fraction of items"), scale: .sequential(0...1)).svg
    }

    /// LAPE's selected neurons per block and language (`countsPerLayer[language][layer]`); MLP layers are blocks, 0-based.
    public static func lapeCounts(languages: [String], countsPerLayer: [[Int]], layers: Int,
                                  width: Double = 900, height: Double = 380) -> SVGElement {
        BarChart(
            title: "Language-specific neurons per layer",
            description: "Number of neurons LAPE selects for each language in each layer.",
            categories: (0..<layers).map(String.init),
            series: languages.enumerated().map { k, name in
                BarChart.Series(name: name, values: (0..<layers).map { l in countsPerLayer[safe: k]?[safe: l].map(Double.init) ?? .nan },
                                colorIndex: Palette.languageSlot(name, among: languages))
            },
            xLabel: AxisLabel("layer", unit: "transformer block, 0-based"), yLabel: AxisLabel("neurons", unit: "count"),
            width: width, height: height).svg
    }

    /// Neurons selected for both languages of each pair; the diagonal is each set's size.
    public static func lapeOverlap(languages: [String], overlap: [[Double]]) -> SVGElement {
        Heatmap(
            title: "Overlap of language-specific neurons",
            description: "Number of neurons selected for both languages; the diagonal is each language's total.",
            rowLabels: languages, columnLabels: languages, values: overlap,
            rowAxis: AxisLabel("language"), columnAxis: AxisLabel("language"),
            valueLabel: AxisLabel("shared neurons", unit: "count"), scale: .sequential(nil), decimals: 0).svg
    }

    /// One language's own-set effect against the random control's, as the summary and `ablate --plot` draw it.
    public struct OwnVersusControl: Sendable {
        public var language: String
        /// ΔNLL of the language's held-out tokens when its own neurons are zeroed, with its interval.
        public var own: Double
        public var ownLow: Double
        public var ownHigh: Double
        /// The control's mean ΔNLL and its spread over seeds (NaN: no control, or one seed).
        public var control: Double
        public var controlSpread: Double
        public init(language: String, own: Double, ownLow: Double, ownHigh: Double, control: Double, controlSpread: Double) {
            self.language = language; self.own = own; self.ownLow = ownLow; self.ownHigh = ownHigh
            self.control = control; self.controlSpread = controlSpread
        }
    }

    /// Bars per language: its own neurons zeroed (with the 95% interval over documents) against random neurons
    /// of the same per-layer counts (± one standard deviation over seeds).
    public static func ablationOwnVersusControl(_ rows: [OwnVersusControl], width: Double = 560, height: Double = 320) -> SVGElement {
        BarChart(
            title: "Own neurons zeroed against the random control",
            description: "Change in each language's held-out NLL when its own LAPE neurons are zeroed, and when random neurons with the same per-layer counts are.",
            categories: rows.map(\.language),
            series: [
                BarChart.Series(name: "own neurons", values: rows.map(\.own),
                                errors: rows.map { (low: $0.ownLow, high: $0.ownHigh) }, colorIndex: 5),
                BarChart.Series(name: "random control", values: rows.map(\.control),
                                errors: rows.map { (low: $0.control - $0.controlSpread, high: $0.control + $0.controlSpread) },
                                colorIndex: 4),
            ],
            xLabel: AxisLabel("language (ablated = evaluated)"), yLabel: AxisLabel("ΔNLL", unit: "nats/token"),
            width: width, height: height).svg
    }

    /// What an ablation did to its neurons, from its `set_to` (`ablate --set-to`; "zero" for runs before it).
    public static func ablationWording(setTo: String) -> String {
        guard setTo != "zero" else { return "zeroed" }
        return setTo.hasPrefix("p") ? "set to their own \(setTo) in the ablated language" : "set to \(setTo)"
    }

    /// ΔNLL of each evaluated language (columns) when each row language's set (or its control) is zeroed or pinned.
    public static func ablationMatrix(control: Bool, setName: String, rows: [String], columns: [String], values: [[Double]],
                                      maxAbs: Double?, pinned: String = "zeroed") -> SVGElement {
        Heatmap(
            title: control ? "NLL change, random neurons (control)" : "NLL change, \(setName) neurons \(pinned == "zeroed" ? "zeroed" : "pinned")",
            description: "Change in held-out mean NLL of each column language when the row language's \(control ? "random control" : "language neurons") are \(pinned).",
            rowLabels: rows, columnLabels: columns, values: values,
            rowAxis: AxisLabel(control ? "matched set" : "ablated set"), columnAxis: AxisLabel("evaluated language"),
            valueLabel: AxisLabel("ΔNLL", unit: "nats/token"), scale: .diverging(maxAbs: maxAbs), decimals: 3).svg
    }
}

extension Palette {
    /// The paper's languages in fixed slots, so a language keeps its colour in every chart and every file.
    static let knownLanguages = ["c", "c#", "c++", "java", "javascript", "php", "python"]

    /// A language's palette slot: fixed for the paper's languages; others follow them in name order among `languages`.
    public static func languageSlot(_ name: String, among languages: [String]) -> Int {
        let known = { (n: String) in knownLanguages.firstIndex(of: n.lowercased()) }
        if let slot = known(name) { return slot }
        let others = Set(languages.filter { known($0) == nil }).union([name]).sorted()
        return knownLanguages.count + (others.firstIndex(of: name) ?? 0)
    }
}
