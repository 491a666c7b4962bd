import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensEngine
import PolylensIngest
import PolylensModel
import PolylensReport
import PolylensStore

struct AblateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract: "Zero a neuron set's activations and measure every language's held-out NLL, against a random control.",
        discussion: """
        For each language of the set, a = SiLU(gate_proj · x) is set to zero at its neurons (before the product with
        up_proj) in every layer, and every language's held-out documents (kept out of the neuron statistics by
        ingest) are scored: mean negative log-likelihood per predicted token (nats; the original reports this value
        as "ppl") and its exponential, the perplexity, before and after. The random control draws, per set, as many
        neurons per layer as the set has (uniform, seeded). Results are stored in the file.
        table: the matrix of NLL changes (rows: ablated set, columns: evaluated language), the control's, then every
        measurement. csv and json: one record per (set, control, evaluated language).
        """)

    enum Control: String, ExpressibleByArgument, CaseIterable { case random, none }

    @OptionGroup var options: AnalysisFileOptions
    @OptionGroup var progress: ProgressOptions
    @Option(help: "The neuron set to ablate (saved by `polylens lape --save`).") var set: String
    @Option(help: "The model the run used (checked by sha256).") var model: String
    @Option(help: "Predicted tokens per language at most (default: all held-out tokens).") var evalTokens: Int?
    @Option(help: "random: also ablate a random set with the same per-layer counts; none: skip it.") var control: Control = .random
    @Option(help: "Seed of the random control.") var seed: UInt64 = 0
    @Option(help: "Engine threads (default: all cores).") var threads: Int?

    struct Record: Encodable {
        var set: String, ablatedLanguage: String, control: Bool, neurons: Int, evalLanguage: String, tokens: Int
        var nllBefore: Double, nllAfter: Double, change: Double, perplexityBefore: Double, perplexityAfter: Double
    }

    func validate() throws {
        if let n = evalTokens, n < 1 { throw CLIError("--eval-tokens must be ≥ 1, got \(n)") }
    }

    func run() throws {
        let (file, run) = try options.open(readOnly: false)
        guard let info = try file.runs().first(where: { $0.id == run })?.info else { throw CLIError("\(options.file): no run \(run)") }
        let neuronSet = try file.neuronSet(run: run, name: set)
        guard !neuronSet.isEmpty else { throw CLIError("\(options.file): neuron set \(set) is empty") }
        let weights = try ModelLoader.load(URL(fileURLWithPath: model))
        let digest = try FileDigest.sha256(of: weights.files)
        guard digest == info.modelSHA256 else {
            throw CLIError("\(model): not the model run \(run) used (sha256 \(digest), recorded \(info.modelSHA256))")
        }
        var evaluation: [(language: String, sequences: [[Int32]])] = []
        for language in try file.languages(run: run) {
            let sequences = Ablation.evaluationSequences(try file.documents(run: run, language: language, heldOut: true), cap: evalTokens)
            if !sequences.isEmpty { evaluation.append((language, sequences)) }
        }
        guard !evaluation.isEmpty else { throw CLIError("\(options.file): run \(run) holds no held-out documents to evaluate") }
        let transformer = try Transformer(weights, threads: threads)
        let sets = neuronSet.keys.sorted().map { (language: $0, neurons: neuronSet[$0]!) }
        // Every evaluated token is run once for the baseline and once per set and per control.
        let passes = 1 + sets.count * (control == .random ? 2 : 1)
        let printer = progress.printer()
        defer { printer?.finish() }
        let meter = ProgressMeter(task: "ablate", unit: "tokens",
                                  total: passes * evaluation.reduce(0) { $0 + $1.sequences.reduce(0) { $0 + $1.count } }) { printer?.update($0) }
        Interruption.install()
        let outcomes = try Ablation.run(sets: sets, evaluation: evaluation, width: weights.config.hiddenDim,
                                        controlSeed: control == .random ? seed : nil) { tokens, ablation in
            // Results are stored only when every measurement is done, so an interrupt leaves the file as it was.
            if Interruption.requested {
                throw CLIError("\(options.file): interrupted; no ablation result was written (nothing is stored before every measurement is done); run the same command again")
            }
            let nll = try transformer.negativeLogLikelihoods(tokens.map(Int.init), ablation: ablation.map { NeuronAblation(neurons: $0) })
            meter.advance(by: tokens.count)
            return nll
        }
        printer?.finish()
        let records = outcomes.flatMap { o in
            o.measurements.map { m in
                Record(set: set, ablatedLanguage: o.setLanguage, control: o.isRandomControl, neurons: o.neurons.count,
                       evalLanguage: m.language, tokens: m.tokens, nllBefore: m.baseline, nllAfter: m.ablated, change: m.change,
                       perplexityBefore: m.baselinePerplexity, perplexityAfter: m.ablatedPerplexity)
            }
        }
        for r in records {
            try file.saveAblationResult(AblationResult(run: run, setName: set, control: r.control, controlSeed: r.control ? Int64(bitPattern: seed) : nil,
                                                       ablatedLanguage: r.ablatedLanguage, evalLanguage: r.evalLanguage, tokens: r.tokens,
                                                       nllBefore: r.nllBefore, nllAfter: r.nllAfter))
        }
        let evalLanguages = evaluation.map(\.language)
        func matrix(control: Bool) -> [[Double]] {
            sets.map { s in evalLanguages.map { e in records.first { $0.ablatedLanguage == s.language && $0.control == control && $0.evalLanguage == e }?.change ?? .nan } }
        }
        switch options.format {
        case .json: try AnalysisOutput.writeJSON(records)
        case .csv:
            var t = TextTable(["set", "ablated_language", "control", "neurons", "eval_language", "tokens", "nll_before", "nll_after", "change", "ppl_before", "ppl_after"])
            for r in records {
                t.add([r.set, r.ablatedLanguage, "\(r.control)", "\(r.neurons)", r.evalLanguage, "\(r.tokens)", "\(r.nllBefore)", "\(r.nllAfter)",
                       "\(r.change)", "\(r.perplexityBefore)", "\(r.perplexityAfter)"])
            }
            AnalysisOutput.write(t.text(format: .csv))
        case .table:
            var out = "Ablation of neuron set \(set): change of mean NLL per token (nats), rows ablated, columns evaluated\n"
            for (title, isControl) in [("set", false)] + (control == .random ? [("random control (seed \(seed))", true)] : []) {
                var t = TextTable([title] + evalLanguages)
                for (i, row) in matrix(control: isControl).enumerated() { t.add([sets[i].language] + row.map { AnalysisOutput.number($0, 4) }) }
                out += "\n" + t.text(format: .table)
            }
            var all = TextTable(["ablated", "control", "neurons", "evaluated", "tokens", "NLL before", "NLL after", "ppl before", "ppl after"])
            for r in records {
                all.add([r.ablatedLanguage, r.control ? "random" : "-", "\(r.neurons)", r.evalLanguage, "\(r.tokens)",
                         AnalysisOutput.number(r.nllBefore), AnalysisOutput.number(r.nllAfter),
                         AnalysisOutput.number(r.perplexityBefore, 3), AnalysisOutput.number(r.perplexityAfter, 3)])
            }
            AnalysisOutput.write(out + "\n" + all.text(format: .table))
        }
        if let path = options.plot {
            var charts = [Heatmap(title: "Ablation of \(set)", description: "Change of mean NLL per token when each language's neurons are zeroed (rows), per evaluated language (columns).",
                                  rowLabels: sets.map(\.language), columnLabels: evalLanguages, values: matrix(control: false),
                                  rowAxis: AxisLabel("ablated set"), columnAxis: AxisLabel("evaluated language"),
                                  valueLabel: AxisLabel("ΔNLL", unit: "nats/token"), scale: .diverging(maxAbs: nil)).svg]
            if control == .random {
                charts.append(Heatmap(title: "Random control", description: "The same for random neurons with the same per-layer counts (seed \(seed)).",
                                      rowLabels: sets.map(\.language), columnLabels: evalLanguages, values: matrix(control: true),
                                      rowAxis: AxisLabel("matched set"), columnAxis: AxisLabel("evaluated language"),
                                      valueLabel: AxisLabel("ΔNLL", unit: "nats/token"), scale: .diverging(maxAbs: nil)).svg)
            }
            try AnalysisOutput.writeSVG(charts, to: path)
        }
    }
}
