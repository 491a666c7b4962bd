import Foundation

extension AblationSection {
    /// Row (ablated) and column (evaluated) languages in order of first appearance.
    private var axes: (ablated: [String], evaluated: [String]) {
        var ablated: [String] = [], evaluated: [String] = []
        for e in entries {
            if !ablated.contains(e.ablated) { ablated.append(e.ablated) }
            if !evaluated.contains(e.evaluated) { evaluated.append(e.evaluated) }
        }
        return (ablated, evaluated)
    }

    /// The NLL change of each (ablated, evaluated) pair; NaN where not measured.
    func changes(control: Bool) -> [[Double]] {
        let (rows, columns) = axes
        var m = rows.map { _ in columns.map { _ in Double.nan } }
        for e in entries where e.control == control {
            if let r = rows.firstIndex(of: e.ablated), let c = columns.firstIndex(of: e.evaluated) { m[r][c] = e.change }
        }
        return m
    }

    /// What the run did to the neurons, from its recorded `set_to` (`ablate --set-to`; runs before it zeroed them).
    var pinned: String {
        let json = provenance.flatMap { try? JSONSerialization.jsonObject(with: Data($0.settings.utf8)) as? [String: Any] }
        return StudyCharts.ablationWording(setTo: json?["set_to"] as? String ?? "zero")
    }

    func render(into html: inout HTMLWriter) {
        html.paragraph("Neuron set “\(setName)”: each language's neurons are \(pinned) (before the product with up_proj) in "
                       + "every layer, and every language's held-out tokens are scored. The control does the same to random neurons "
                       + "with the same per-layer counts. Values are changes in mean negative log-likelihood, nats per token.",
                       class: "method")
        html.element("p", [("class", "method")]) { p in
            if let provenance {
                p.text("Shown: ablation #\(provenance.ablationID) of \(provenance.createdAt), which \(pinned == "zeroed" ? "zeroed" : "pinned") set “\(setName)” with sha256 ")
                p.element("code", text: String(provenance.setSHA256.prefix(16)) + "…")
                p.text(" (\(provenance.setStatus == "saved" ? "the set saved under that name now" : "that set was \(provenance.setStatus)"))")
                if let setParameters { p.text(", selected with "); p.element("code", text: setParameters) }
                p.text("; ablation settings ")
                p.element("code", text: provenance.settings)
                p.text(". Only this run's numbers are shown")
                p.text(provenance.otherRuns.isEmpty ? "." : "; the file holds other ablation runs (\(provenance.otherRuns.map { "#\($0)" }.joined(separator: ", "))), listed by `polylens results` and shown with `polylens report --ablation ID`.")
            } else {
                p.text("Shown: the rows of set “\(setName)” written before Polylens recorded provenance (schema version 5): "
                       + "which selection and settings produced them is not recorded, and there are no per-document numbers, so no intervals.")
            }
        }
        if let intervalMethod { html.paragraph("Intervals: \(intervalMethod).", class: "method") }
        if entries.isEmpty { html.noData("the file has no ablation results for this set."); return }
        let (rows, columns) = axes
        let measured = changes(control: false), control = changes(control: true)
        let bound = (measured + control).joined().filter { $0.isFinite }.map { abs($0) }.max() ?? 1
        html.element("div", [("class", "grid")]) { grid in
            for (isControl, matrix) in [(false, measured), (true, control)] {
                grid.figure(StudyCharts.ablationMatrix(control: isControl, setName: "language", rows: rows, columns: columns, values: matrix, maxAbs: bound, pinned: pinned),
                            caption: isControl
                                ? "Same, with random neurons of the same per-layer counts as each language's set (same colour scale; the mean over seeds when there are several)."
                                : "Change in mean NLL per token when the row language's neurons are \(pinned).",
                            data: CSVTable(fileName: isControl ? "ablation-control-matrix.csv" : "ablation-matrix.csv",
                                           header: ["ablated \\ evaluated"] + columns,
                                           rows: rows.enumerated().map { r, name in
                                               [.text(name)] + matrix[r].map { .number($0, decimals: 4) }
                                           }))
            }
        }

        html.table(CSVTable(fileName: "ablation-results.csv",
                            header: ["ablated", "evaluated", "set", "tokens", "NLL before", "NLL after", "ΔNLL",
                                     "ΔNLL low", "ΔNLL high", "control sd", "control seeds",
                                     "perplexity before", "perplexity after"],
                            rows: entries.map { e in
                                [.text(e.ablated), .text(e.evaluated), .text(e.control ? "random control" : "language"),
                                 .integer(e.tokens), .number(e.nllBefore, decimals: 4), .number(e.nllAfter, decimals: 4),
                                 .number(e.change, decimals: 4), .number(e.interval.low, decimals: 4), .number(e.interval.high, decimals: 4),
                                 .number(e.spread, decimals: 4), .integer(e.seeds),
                                 .number(exp(e.nllBefore), decimals: 2), .number(exp(e.nllAfter), decimals: 2)]
                            }),
                   caption: "Every measurement of the run shown: mean NLL (nats per token) and perplexity before and after; "
                       + "ΔNLL with its interval over documents; for the control, the mean over seeds and its standard deviation.",
                   maxRows: 100)
    }
}
