import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensModel
import PolylensReport
import PolylensStore

extension Pooling: ExpressibleByArgument {}

struct MexaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mexa",
        abstract: "Cross-lingual alignment (MEXA) of every language pair at every layer.",
        discussion: """
        S[i,j] = cos(e_A,i, e_B,j) in Float64 over the parallel items shared by all languages (sorted item keys, the
        first --items). MEXA(A,B) = the fraction of items whose S[i,i] is the strict maximum of both its row and its
        column (a tie does not count). Per-pivot averages run over the programming languages (every language but
        --english), leaving out the pivot itself unless --include-self (the paper includes it).
        table: per layer the pair matrix, then the per-pivot averages. csv: layer,pivot,target,mexa rows, with
        target `average` for the per-pivot average. json: everything, with the item keys used.
        """)

    @OptionGroup var options: AnalysisFileOptions
    @OptionGroup var progress: ProgressOptions
    @Option(help: "How documents were pooled: weighted (the paper), mean or last.") var pooling: Pooling = .weightedMean
    @Option(parsing: .unconditional, help: "Layers, comma-separated, ranges allowed (e.g. 0,8-16; default: all; 0 = embeddings).") var layers: String?
    @Option(parsing: .unconditional, help: "Parallel items to use (sorted item keys; the paper used 100).") var items = 100
    @Option(help: "Show only this pivot's scores.") var pivot: String?
    @Flag(help: "Count the self-pair in the per-pivot averages, as the paper does.") var includeSelf = false
    @Option(help: "Languages, comma-separated (default: all with parallel items).") var languages: String?
    @Option(help: "The language that holds the English side (not a target of the averages).") var english = "English"
    @Option(parsing: .unconditional, help: "The layer whose pair matrix --plot draws (default: the middle layer).") var plotLayer: Int?

    struct JSONLayer: Encodable {
        var layer: Int; var matrix: [String: [String: Double]]; var pivotAverages: [String: Double]
        /// [low, high] of each score and average, over items.
        var intervals: [String: [String: [Double]]]; var pivotAverageIntervals: [String: [Double]]
    }
    struct JSONResult: Encodable {
        var pooling: String, includeSelf: Bool, languages: [String], targets: [String], items: [String]
        var intervalMethod: String
        var layers: [JSONLayer]
    }

    func validate() throws {
        try OptionCheck.atLeast(2, items, "--items")
        try OptionCheck.atLeast(0, plotLayer, "--plot-layer")
    }

    func run() throws { try options.namingFile(analyse) }

    private func analyse() throws {
        let (file, run) = try options.open()
        let summaries = try file.summaries(run: run, pooling: pooling)
        guard !summaries.isEmpty else {
            let stored = try file.storedPoolings(run: run).map(\.rawValue)
            throw CLIError("\(options.file): run \(run) holds no \(pooling.rawValue)-pooled summaries (stored: \(stored.isEmpty ? "none" : stored.joined(separator: ", ")); ingest with --poolings \((stored + [pooling.rawValue]).joined(separator: ",")) to keep them)")
        }
        let available = Array(Set(summaries.filter { $0.document.itemKey != nil }.map(\.document.language))).sorted()
        let langs = try LanguageSelection.resolve(languages, available: available, file: options.file)
        let e = try ParallelEmbeddings(summaries, languages: langs, items: items)
        let chosen = try layers.map { try LayerList.parse($0, option: "--layers") }
        let printer = progress.printer()
        defer { printer?.finish() }
        let meter = ProgressMeter(task: "mexa", unit: "layers", total: chosen?.count ?? e.layers) { printer?.update($0) }
        let r = try MEXA.run(e, layers: chosen) { meter.advance(by: 1) }
        printer?.finish()
        let targets = e.languages.filter { $0 != english }
        let averages = r.pivotAverages(targets: targets, includeSelf: includeSelf)
        let pivots = try pivot.map { name -> [Int] in
            guard let i = e.languages.firstIndex(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw CLIError("--pivot \(name) is not among \(e.languages.joined(separator: ", "))")
            }
            return [i]
        } ?? Array(e.languages.indices)
        let selfNote = includeSelf ? "self-pair included (as the paper)" : "self-pair excluded"
        let intervals = r.intervals(), averageIntervals = r.pivotAverageIntervals(targets: targets, includeSelf: includeSelf)
        let method = "\(BootstrapInterval.standardMethod) over the \(e.items.count) items (each item's hit decided on all items)"
        let bounds = { (i: BootstrapInterval) in [i.low, i.high] }
        let shown = { (v: Double, i: BootstrapInterval, d: Int) in
            "\(AnalysisOutput.number(v, d)) [\(AnalysisOutput.number(i.low, d)), \(AnalysisOutput.number(i.high, d))]"
        }

        switch options.format {
        case .json:
            try AnalysisOutput.writeJSON(JSONResult(
                pooling: pooling.rawValue, includeSelf: includeSelf, languages: e.languages, targets: targets, items: e.items,
                intervalMethod: method,
                layers: r.layers.indices.map { li in
                    JSONLayer(layer: r.layers[li],
                              matrix: Dictionary(uniqueKeysWithValues: pivots.map { a in
                                  (e.languages[a], Dictionary(uniqueKeysWithValues: e.languages.indices.map { (e.languages[$0], r.scores[li][a][$0]) }))
                              }),
                              pivotAverages: Dictionary(uniqueKeysWithValues: pivots.map { (e.languages[$0], averages[li][$0]) }),
                              intervals: Dictionary(uniqueKeysWithValues: pivots.map { a in
                                  (e.languages[a], Dictionary(uniqueKeysWithValues: e.languages.indices.map { (e.languages[$0], bounds(intervals[li][a][$0])) }))
                              }),
                              pivotAverageIntervals: Dictionary(uniqueKeysWithValues: pivots.map { (e.languages[$0], bounds(averageIntervals[li][$0])) }))
                }), keys: .convertToSnakeCase)
        case .csv:
            var t = TextTable(["layer", "pivot", "target", "mexa", "low", "high"])
            for li in r.layers.indices {
                for a in pivots {
                    for b in e.languages.indices {
                        let i = intervals[li][a][b]
                        t.add(["\(r.layers[li])", e.languages[a], e.languages[b], "\(r.scores[li][a][b])", "\(i.low)", "\(i.high)"])
                    }
                    let i = averageIntervals[li][a]
                    t.add(["\(r.layers[li])", e.languages[a], "average", "\(averages[li][a])", "\(i.low)", "\(i.high)"])
                }
            }
            AnalysisOutput.write(t.text(format: .csv))
        case .table:
            var out = "MEXA over \(e.items.count) items (\(e.items.first ?? "")…\(e.items.last ?? ""), sorted keys), \(pooling.rawValue) pooling\n\n"
            for li in r.layers.indices {
                var t = TextTable([""] + e.languages)
                for a in pivots { t.add([e.languages[a]] + e.languages.indices.map { shown(r.scores[li][a][$0], intervals[li][a][$0], 2) }) }
                out += "Layer \(StudyCharts.layerName(r.layers[li]))\n" + t.text(format: .table) + "\n"
            }
            var avg = TextTable(["layer"] + pivots.map { e.languages[$0] })
            for li in r.layers.indices { avg.add([StudyCharts.layerName(r.layers[li])] + pivots.map { shown(averages[li][$0], averageIntervals[li][$0], 3) }) }
            out += "Per-pivot average over \(targets.joined(separator: ", ")), \(selfNote)\n" + avg.text(format: .table)
            out += "\n[low, high]: \(method)\n"
            AnalysisOutput.write(out)
        }
        if let path = options.plot {
            let li = plotLayer.flatMap { r.layers.firstIndex(of: $0) } ?? r.layers.count / 2
            if let wanted = plotLayer, !r.layers.contains(wanted) { throw CLIError("--plot-layer \(wanted) is not among the layers computed") }
            let pivotAverages = e.languages.indices.map { a in r.layers.indices.map { averages[$0][a] } }
            let pivotIntervals = e.languages.indices.map { a in r.layers.indices.map { (low: averageIntervals[$0][a].low, high: averageIntervals[$0][a].high) } }
            try AnalysisOutput.writeSVG([StudyCharts.mexaPairs(layer: r.layers[li], languages: e.languages, scores: r.scores[li]),
                                         StudyCharts.mexaPivots(languages: e.languages, pivots: pivots, layers: r.layers, averages: pivotAverages,
                                                                intervals: pivotIntervals, selfNote: selfNote)], to: path)
        }
    }
}
