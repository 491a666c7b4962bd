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
        abstract: "Zero (or pin) a neuron set's activations and measure every language's held-out NLL, against a random control.",
        discussion: """
        For each language of the set, a = SiLU(gate_proj · x) is set to zero at its neurons (before the product with
        up_proj) in every layer, or with --set-to to a number or to a percentile of each neuron's own activation
        distribution in that language (p50, p90, p99, p99.9: read from the file's activation histograms, as
        `polylens neuron` shows them; a random control takes its neurons' percentiles in the language of the set it
        matches), and every language's held-out documents (kept out of the neuron statistics by
        ingest) are scored: mean negative log-likelihood per predicted token (nats; the original reports this value
        as "ppl") and its exponential, the perplexity, before and after. The random control draws, per set, as many
        neurons per layer as the set has (uniform), once per seed of --control-seeds. Each ablation is stored in the file
        as an ablation run (unless --no-save) with the set's identity (name, sha256, selection parameters), its own
        settings and every document's NLL; `polylens results` lists them. ΔNLL intervals: percentile bootstrap over the
        held-out documents (2000 resamples, 95%); the control: mean and standard deviation across seeds.
        table: the set's identity and the settings, the matrix of ΔNLL [interval] (rows: ablated set, columns: evaluated
        language), the control's mean ± sd, then every cell. csv: one row per (ablated, evaluated) with change_low,
        change_high and control_mean/sd/min/max. json: ablation_id, set, parameters, methods, results.
        """)

    enum Control: String, ExpressibleByArgument, CaseIterable { case random, none }

    @OptionGroup var options: AnalysisFileOptions
    @OptionGroup var progress: ProgressOptions
    @Option(help: "The neuron set to ablate (saved by `polylens lape --save`).") var set: String
    @Option(help: "The model the run used (default: the path the run recorded; checked by sha256 either way).") var model: String?
    @Option(parsing: .unconditional, help: "Predicted tokens per language at most (default: all held-out tokens).") var evalTokens: Int?
    @Option(help: "random: also ablate random sets with the same per-layer counts; none: skip them.") var control: Control = .random
    @Option(parsing: .unconditional, help: "Random controls drawn per set, with seeds --seed, --seed + 1, …") var controlSeeds = 5
    @Option(parsing: .unconditional, help: "The first seed of the random controls.") var seed: UInt64 = 0
    @Option(help: ArgumentHelp("What ablated neurons are set to: zero, a percentile of their activation in the ablated language (p50, p90, p99, p99.9) or a number.",
                               valueName: "zero|pQ|number")) var setTo = "zero"
    @Option(parsing: .unconditional, help: "Engine threads (default: all cores).") var threads: Int?
    @Flag(help: "Print the result without storing it (a smoke test that leaves the file as it was).") var noSave = false

    func validate() throws {
        try OptionCheck.atLeast(1, threads, "--threads")
        if let n = evalTokens, n < 1 { throw ValidationError("--eval-tokens must be ≥ 1, got \(n)") }
        guard controlSeeds >= 1 else { throw ValidationError("--control-seeds must be ≥ 1, got \(controlSeeds) (use --control none for no control)") }
        do { _ = try value() } catch { throw ValidationError("\(error)") }
    }

    func value() throws -> AblationValue { try AblationValue(parsing: setTo) }

    var seeds: [UInt64] { control == .random ? (0..<controlSeeds).map { seed &+ UInt64($0) } : [] }

    func run() throws { try options.namingFile(analyse) }

    private func analyse() throws {
        let (file, run) = try options.open(readOnly: noSave)
        guard let info = try file.runs().first(where: { $0.id == run })?.info else { throw CLIError("\(options.file): no run \(run)") }
        guard let record = try file.neuronSetRecords(run: run).first(where: { $0.name == set }) else {
            throw CLIError("\(options.file): run \(run) has no neuron set named \(set)")
        }
        let neuronSet = try file.neuronSet(run: run, name: set)
        guard !neuronSet.isEmpty else { throw CLIError("\(options.file): neuron set \(set) is empty") }
        let (weights, digest, _) = try RunModel.load(model, run: run, info: info)
        var evaluation: [(language: String, documents: [EvaluationDocument])] = []
        for language in try file.languages(run: run) {
            let documents = Ablation.evaluationDocuments(try file.heldOutDocuments(run: run, language: language), cap: evalTokens)
            if !documents.isEmpty { evaluation.append((language, documents)) }
        }
        guard !evaluation.isEmpty else { throw CLIError("\(options.file): run \(run) holds no held-out documents to evaluate") }
        let sets = neuronSet.keys.sorted().map { (language: $0, neurons: neuronSet[$0]!) }
        let pins = try AblationPins(try value(), file: file, run: run, languages: sets.map(\.language))
        let outcomes = try measure(weights, sets: sets, pins: pins, evaluation: evaluation)
        let ablation = AblationRun(run: run, setName: set, setSHA256: record.contentSHA256 ?? NeuronSetRecord.contentSHA256(of: neuronSet),
                                   setParametersJSON: record.parametersJSON, parametersJSON: try parametersJSON(modelSHA256: digest))
        let id = noSave ? nil : try save(ablation, outcomes, to: file)
        // The default resamples only: the report and `results --show-ablation` recompute the same intervals.
        let summary = AblationSummary(id: id, ablation: ablation, outcomes: outcomes, evalLanguages: evaluation.map(\.language))
        try write(summary)
    }

    /// Runs the engine over every set, control and document, with progress (tokens of every pass).
    private func measure(_ weights: ModelWeights, sets: [(language: String, neurons: [NeuronRef])], pins: AblationPins,
                         evaluation: [(language: String, documents: [EvaluationDocument])]) throws -> [AblationOutcome] {
        let transformer = try Transformer(weights, threads: threads)
        // Every evaluated token is run once for the baseline and once per set and per control seed.
        let passes = 1 + sets.count * (1 + seeds.count)
        let printer = progress.printer()
        defer { printer?.finish() }
        let meter = ProgressMeter(task: "ablate", unit: "tokens",
                                  total: passes * evaluation.reduce(0) { $0 + $1.documents.reduce(0) { $0 + $1.tokens.count } }) { printer?.update($0) }
        Interruption.install()
        let outcomes = try Ablation.run(sets: sets, evaluation: evaluation, width: weights.config.hiddenDim,
                                        controlSeeds: seeds, pin: pins.ablation) { tokens, ablation in
            // Results are stored only when every measurement is done, so an interrupt leaves the file as it was.
            if Interruption.requested {
                throw CLIError("\(options.file): interrupted; no ablation result was written (nothing is stored before every measurement is done); run the same command again")
            }
            let nll = try transformer.negativeLogLikelihoods(tokens.map(Int.init), ablation: ablation)
            meter.advance(by: tokens.count)
            return nll
        }
        printer?.finish()
        return outcomes
    }

    /// The ablation's own settings, stored with its results.
    private func parametersJSON(modelSHA256: String) throws -> String {
        struct Parameters: Encodable {
            var eval_tokens: Int?, control: String, control_seeds: [UInt64], model_sha256: String
            var interval: String, control_spread: String, set_to: String, set_to_source: String
        }
        let value = try value()
        let method = BootstrapInterval.standardMethod
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(Parameters(
            eval_tokens: evalTokens, control: control.rawValue, control_seeds: seeds, model_sha256: modelSHA256,
            interval: "ΔNLL per token: \(method) over held-out documents", control_spread: ControlSpread.method,
            set_to: value.description, set_to_source: value.source)), as: UTF8.self)
    }

    /// One transaction: the ablation run, its per-language rows and its per-document NLL.
    private func save(_ ablation: AblationRun, _ outcomes: [AblationOutcome], to file: PolylensFile) throws -> Int64 {
        var rows: [AblationResult] = [], documents: [AblationDocumentResult] = []
        for o in outcomes {
            let seed = o.controlSeed.map { Int64(bitPattern: $0) }
            for m in o.measurements {
                rows.append(AblationResult(run: ablation.run, setName: set, control: o.isRandomControl, controlSeed: seed,
                                           ablatedLanguage: o.setLanguage, evalLanguage: m.language, tokens: m.tokens,
                                           nllBefore: m.baseline, nllAfter: m.ablated))
                documents += m.documents.map {
                    AblationDocumentResult(ablatedLanguage: o.setLanguage, controlSeed: seed, document: $0.document,
                                           evalLanguage: m.language, tokens: $0.tokens, nllBefore: $0.baseline, nllAfter: $0.ablated)
                }
            }
        }
        return try file.saveAblation(ablation, results: rows, documents: documents)
    }

    /// The result on stdout (and the plot): which set and settings, the intervals and how they were made.
    private func write(_ summary: AblationSummary) throws {
        try AblationOutput.write(summary, format: options.format)
        if let path = options.plot {
            let rows = summary.setLanguages, columns = summary.evalLanguages
            func matrix(_ value: (AblationSummary.Cell) -> Double) -> [[Double]] {
                rows.map { a in columns.map { e in summary.cells.first { $0.ablated == a && $0.evaluated == e }.map(value) ?? .nan } }
            }
            let own = rows.filter(columns.contains).compactMap { lang in
                summary.cells.first { $0.ablated == lang && $0.evaluated == lang }.map { c in
                    StudyCharts.OwnVersusControl(language: lang, own: c.change.estimate, ownLow: c.change.low, ownHigh: c.change.high,
                                                 control: c.control.seeds > 0 ? c.control.mean : .nan,
                                                 controlSpread: c.control.seeds > 0 ? c.control.standardDeviation : .nan)
                }
            }
            var charts = [StudyCharts.ablationMatrix(control: false, setName: set, rows: rows, columns: columns,
                                                     values: matrix { $0.change.estimate }, maxAbs: nil,
                                                     pinned: StudyCharts.ablationWording(setTo: setTo))]
            if !summary.controlSeeds.isEmpty {
                charts.append(StudyCharts.ablationMatrix(control: true, setName: set, rows: rows, columns: columns,
                                                         values: matrix { $0.control.mean }, maxAbs: nil,
                                                         pinned: StudyCharts.ablationWording(setTo: setTo)))
            }
            if !own.isEmpty { charts.append(StudyCharts.ablationOwnVersusControl(own)) }
            try AnalysisOutput.writeSVG(charts, to: path)
        }
    }
}
