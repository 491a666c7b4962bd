import Foundation
import PolylensAnalysis
import PolylensModel
import PolylensStore

/// An ablation run as `ablate` prints it (json, csv, table): the set's identity and the run's settings first,
/// then per (ablated, evaluated) the ΔNLL with its interval and the control's mean and spread.
struct AblationOutput: Encodable {
    struct SetIdentity: Encodable { var name: String, sha256: String, parameters: JSONValue }

    struct Row: Encodable {
        var ablated_language: String, eval_language: String, documents: Int, tokens: Int
        var nll_before: Double, nll_after: Double, change: Double, change_low: Double, change_high: Double
        var ppl_before: Double, ppl_after: Double
        var control_seeds: Int, control_mean: Double, control_sd: Double, control_min: Double, control_max: Double
        var control_changes: [Double]

        init(_ c: AblationSummary.Cell) {
            ablated_language = c.ablated; eval_language = c.evaluated; documents = c.documents; tokens = c.tokens
            nll_before = c.nllBefore; nll_after = c.nllAfter
            change = c.change.estimate; change_low = c.change.low; change_high = c.change.high
            ppl_before = exp(c.nllBefore); ppl_after = exp(c.nllAfter)
            control_seeds = c.control.seeds; control_mean = c.control.mean; control_sd = c.control.standardDeviation
            control_min = c.control.min; control_max = c.control.max; control_changes = c.control.changes
        }

        static let csvHeader = ["ablation_id", "set", "set_sha256", "ablated_language", "eval_language", "documents", "tokens",
                                "nll_before", "nll_after", "change", "change_low", "change_high", "ppl_before", "ppl_after",
                                "control_seeds", "control_mean", "control_sd", "control_min", "control_max"]

        func csvFields(_ s: AblationSummary) -> [String] {
            [s.id.map(String.init) ?? "", s.ablation.setName, s.ablation.setSHA256, ablated_language, eval_language, "\(documents)",
             "\(tokens)"] + [nll_before, nll_after, change, change_low, change_high, ppl_before, ppl_after].map { "\($0)" }
                + ["\(control_seeds)"] + [control_mean, control_sd, control_min, control_max].map { "\($0)" }
        }
    }

    var ablation_id: Int64?
    var set: SetIdentity
    /// The ablation's own settings (stored as JSON text, written as the object).
    var parameters: JSONValue
    var interval_method: String
    var control_method: String
    var control_seeds: [UInt64]
    var results: [Row]

    init(_ s: AblationSummary) {
        ablation_id = s.id
        set = SetIdentity(name: s.ablation.setName, sha256: s.ablation.setSHA256, parameters: JSONValue(storedText: s.ablation.setParametersJSON))
        parameters = JSONValue(storedText: s.ablation.parametersJSON)
        interval_method = "ΔNLL per token: \(s.intervalMethod) over held-out documents"
        control_method = ControlSpread.method
        control_seeds = s.controlSeeds
        results = s.cells.map(Row.init)
    }

    /// The terminal form: provenance lines, the ΔNLL matrix with intervals, the control matrix, every cell.
    static func table(_ s: AblationSummary) -> String {
        var out = "Ablation \(s.id.map { "#\($0) " } ?? "")of neuron set \(s.ablation.setName) (sha256 \(s.ablation.setSHA256.prefix(16))…), selected with \(s.ablation.setParametersJSON)\n"
        out += "Settings: \(s.ablation.parametersJSON)\n"
        out += "ΔNLL = change of mean NLL per token (nats); [low, high]: \(s.intervalMethod) over held-out documents.\n"
        func cell(_ a: String, _ e: String) -> AblationSummary.Cell? { s.cells.first { $0.ablated == a && $0.evaluated == e } }
        var t = TextTable(["set \\ evaluated"] + s.evalLanguages)
        for a in s.setLanguages {
            t.add([a] + s.evalLanguages.map { e in cell(a, e).map { interval($0.change) } ?? "" })
        }
        out += "\n" + t.text(format: .table)
        if !s.controlSeeds.isEmpty {
            out += "\nRandom control, same per-layer counts, seeds \(s.controlSeeds.map(String.init).joined(separator: ", ")): mean ± sd of ΔNLL across seeds\n"
            var c = TextTable(["matched set"] + s.evalLanguages)
            for a in s.setLanguages {
                c.add([a] + s.evalLanguages.map { e in
                    cell(a, e).map { "\(AnalysisOutput.number($0.control.mean, 4)) ± \(AnalysisOutput.number($0.control.standardDeviation, 4))" } ?? ""
                })
            }
            out += c.text(format: .table)
        }
        var all = TextTable(["ablated", "evaluated", "documents", "tokens", "NLL before", "NLL after", "ΔNLL", "95% interval",
                             "control mean", "control sd"])
        for c in s.cells {
            all.add([c.ablated, c.evaluated, "\(c.documents)", "\(c.tokens)", AnalysisOutput.number(c.nllBefore),
                     AnalysisOutput.number(c.nllAfter), AnalysisOutput.number(c.change.estimate), interval(c.change),
                     AnalysisOutput.number(c.control.mean), AnalysisOutput.number(c.control.standardDeviation)])
        }
        return out + "\n" + all.text(format: .table)
    }

    /// Writes the summary on stdout in `format`.
    static func write(_ s: AblationSummary, format: OutputFormat) throws {
        switch format {
        case .json: try AnalysisOutput.writeJSON(AblationOutput(s))
        case .csv:
            var t = TextTable(Row.csvHeader)
            for r in AblationOutput(s).results { t.add(r.csvFields(s)) }
            AnalysisOutput.write(t.text(format: .csv))
        case .table: AnalysisOutput.write(table(s))
        }
    }

    static func interval(_ i: BootstrapInterval) -> String {
        "\(AnalysisOutput.number(i.estimate, 4)) [\(AnalysisOutput.number(i.low, 4)), \(AnalysisOutput.number(i.high, 4))]"
    }
}
