import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensReport
import PolylensStore

struct LapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lape",
        abstract: "Language-specific neurons by activation probability entropy (LAPE).",
        discussion: """
        P[l,i,k] = (tokens of language k with a > 0) / n_k, a = SiLU(gate_proj · x). τ is the k-th smallest of all
        N probabilities with k = round(q · N) (1-based, half to even: torch's kthvalue, as the original). Neurons
        with no P > τ are excluded. Default: the paper's selection, per language the --per-language lowest-entropy
        neurons with P > τ. --top-rate R: the original's, the lowest-entropy fraction R of all neurons, each
        assigned to every language with P > τ. Entropy ties go to the lower (layer, neuron).
        table: τ, neurons per layer per language, the overlap matrix, the neurons. csv: one row per selected
        (language, neuron) with its entropy and P. json: everything, `neurons` as [layer, neuron] pairs.
        """)

    @OptionGroup var options: AnalysisFileOptions
    @Option(parsing: .unconditional, help: "The paper's selection: neurons per language (ν).") var perLanguage: Int?
    @Option(parsing: .unconditional, help: "The original selection: the fraction of all neurons with the lowest entropy (e.g. 0.01).") var topRate: Double?
    @Option(parsing: .unconditional, help: "The quantile of all probabilities that gives τ.") var quantile = 0.95
    @Option(help: "Languages to compare, comma-separated (default: all in the file).") var languages: String?
    @Option(help: "Store the selection in the file as a neuron set with this name (an existing name is refused).") var save: String?
    @Flag(help: "With --save: replace a set of that name (ablations of the old set keep its identity).") var replace = false
    @Option(parsing: .unconditional, help: "Stability check: rerun LAPE on this many bootstrap resamples of the held-out documents (runs the model).")
    var stability: Int?
    @Option(help: "For --stability: the model the run used (default: the path the run recorded; checked by sha256), to count the held-out documents' activations.")
    var model: String?
    @Option(parsing: .unconditional, help: "For --stability: engine threads (default: all cores).") var threads: Int?
    @OptionGroup(title: "Activation threshold (from the activation histograms)") var threshold: LapeThresholdOptions

    func validate() throws {
        if perLanguage != nil && topRate != nil { throw ValidationError("--per-language and --top-rate exclude each other") }
        if let s = save, s.isEmpty { throw ValidationError("--save needs a name") }
        try threshold.check()
        if replace && save == nil { throw ValidationError("--replace needs --save NAME") }
        try OptionCheck.atLeast(1, perLanguage, "--per-language")
        try OptionCheck.fraction(topRate, "--top-rate", zero: false)
        try OptionCheck.fraction(quantile, "--quantile", zero: false)
        try OptionCheck.atLeast(1, threads, "--threads")
        if let n = stability, n < 1 { throw ValidationError("--stability must be ≥ 1, got \(n)") }
        if stability == nil, model != nil { throw ValidationError("--model is for --stability (which defaults to the model the run recorded)") }
    }

    var selection: LAPESelection { topRate.map(LAPESelection.topRate) ?? .perLanguage(perLanguage ?? 400) }

    struct JSONResult: Encodable {
        var tau: Double, tauRank: Int, probabilities: Int, quantile: Double
        var selection: String, selectionValue: Double
        var languages: [String], layers: Int, neuronsPerLayer: Int
        var neurons: [String: [[Int]]]
        var countsPerLayer: [String: [Int]]
        var overlap: [String: [String: Int]]
        /// Per language, the entropy of each neuron of `neurons`, in the same order.
        var entropies: [String: [Double]]
        var warnings: [String]
        var saved: Saved?
        var stability: StabilityJSON?
    }
    struct Saved: Encodable { var name: String; var sha256: String; var replaced: Bool }

    func run() throws { try options.namingFile(analyse) }

    private func analyse() throws {
        let (file, run) = try options.open(readOnly: save == nil)
        let langs = try LanguageSelection.resolve(languages, available: try file.languages(run: run), file: options.file)
        let stats = try file.neuronStats(run: run)
        let p = threshold.threshold == nil ? try ActivationProbabilities(stats: stats, languages: langs)
                                            : try threshold.probabilities(file, run: run, languages: langs)
        let r = try LAPE.run(p, selection: selection, quantile: quantile)
        let (kind, value): (String, Double) = switch selection {
        case .perLanguage(let nu): ("per-language", Double(nu))
        case .topRate(let rate): ("top-rate", rate)
        }
        if let name = save, !replace, try file.neuronSetNames(run: run).contains(name) {
            throw CLIError("\(options.file): run \(run) already has a neuron set named \(name); choose another name or add --replace")
        }
        let stable = try stability.map { try stabilityCheck(file, run: run, result: r, resamples: $0) }
        let saved = try save.map { try saveSelection(r, as: $0, kind: kind, value: value, in: file, run: run) }
        var tokens: [String: Int64] = [:]
        for s in stats where s.layer == 0 { tokens[s.language] = s.tokens }
        let warnings = LAPEWarnings.of(r, tokens: tokens)
        for w in warnings { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
        let entropies = r.selected.map { $0.map { r.entropy[$0.layer * r.neurons + $0.neuron] } }
        let counts = r.countsPerLayer, overlap = r.overlap
        switch options.format {
        case .json:
            try AnalysisOutput.writeJSON(JSONResult(
                tau: r.tau, tauRank: r.tauRank, probabilities: p.values.count, quantile: quantile,
                selection: kind, selectionValue: value, languages: r.languages, layers: r.layers, neuronsPerLayer: r.neurons,
                neurons: Dictionary(uniqueKeysWithValues: zip(r.languages, r.selected.map { $0.map { [$0.layer, $0.neuron] } })),
                countsPerLayer: Dictionary(uniqueKeysWithValues: zip(r.languages, counts)),
                overlap: Dictionary(uniqueKeysWithValues: zip(r.languages, overlap.map { Dictionary(uniqueKeysWithValues: zip(r.languages, $0)) })),
                entropies: Dictionary(uniqueKeysWithValues: zip(r.languages, entropies)), warnings: warnings, saved: saved,
                stability: stable.map(StabilityJSON.init)), keys: .convertToSnakeCase)
        case .csv:
            var t = TextTable(["language", "layer", "neuron", "entropy", "p"])
            for (k, set) in r.selected.enumerated() {
                for n in set {
                    t.add([r.languages[k], "\(n.layer)", "\(n.neuron)", "\(r.entropy[n.layer * r.neurons + n.neuron])",
                           "\(p[n.layer, n.neuron, k])"])
                }
            }
            AnalysisOutput.write(t.text(format: .csv))
        case .table:
            var out = "τ = \(r.tau) (k = \(r.tauRank): the k-th smallest of \(p.values.count) probabilities, k = round(\(quantile) · N)); "
            out += kind == "per-language" ? "paper selection, ν = \(Int(value)) per language\n\n"
                                          : "original selection, top rate \(value)\n\n"
            var c = TextTable(["language"] + (0..<r.layers).map(String.init) + ["total"])
            for (k, row) in counts.enumerated() { c.add([r.languages[k]] + row.map(String.init) + ["\(r.selected[k].count)"]) }
            out += "Selected neurons per layer\n" + c.text(format: .table) + "\n"
            var o = TextTable([""] + r.languages)
            for (k, row) in overlap.enumerated() { o.add([r.languages[k]] + row.map(String.init)) }
            out += "Overlap (neurons selected for both)\n" + o.text(format: .table) + "\n"
            var n = TextTable(["language", "layer", "neuron", "entropy", "P"])
            for (k, set) in r.selected.enumerated() {
                for (j, x) in set.enumerated() {
                    n.add([r.languages[k], "\(x.layer)", "\(x.neuron)", AnalysisOutput.number(entropies[k][j], 4), AnalysisOutput.number(p[x.layer, x.neuron, k], 4)])
                }
            }
            out += "Neurons with their entropy over languages (0 = active for one language only) and P in the language\n" + n.text(format: .table)
            if !warnings.isEmpty { out += "\nWarnings\n" + warnings.map { "- " + $0 }.joined(separator: "\n") + "\n" }
            if let stable { out += "\n" + Self.stabilityTable(stable) }
            if let saved { out += "\nSaved as neuron set \(saved.name) (sha256 \(saved.sha256))\(saved.replaced ? ", replacing the earlier set of that name" : "")\n" }
            AnalysisOutput.write(out)
        }
        if let path = options.plot {
            try AnalysisOutput.writeSVG([StudyCharts.lapeCounts(languages: r.languages, countsPerLayer: counts, layers: r.layers),
                                         StudyCharts.lapeOverlap(languages: r.languages, overlap: overlap.map { $0.map(Double.init) })], to: path)
        }
    }

    /// Stores the selection as a named set with how it was selected; an existing name only with --replace.
    private func saveSelection(_ r: LAPEResult, as name: String, kind: String, value: Double, in file: PolylensFile, run: Int64) throws -> Saved {
        struct Parameters: Encodable { var selection: String; var value: Double; var quantile: Double; var tau: Double; var languages: [String] }
        let json = String(decoding: try JSONEncoder().encode(Parameters(selection: kind, value: value, quantile: quantile,
                                                                        tau: r.tau, languages: r.languages)), as: UTF8.self)
        let existed = try file.neuronSetNames(run: run).contains(name)
        let hash = try file.saveNeuronSet(run: run, name: name, neurons: Dictionary(uniqueKeysWithValues: zip(r.languages, r.selected)),
                                          parametersJSON: json, replace: replace)
        return Saved(name: name, sha256: hash, replaced: existed)
    }
}
