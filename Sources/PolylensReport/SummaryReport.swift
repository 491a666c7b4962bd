import Foundation

/// The page's first screen: the study's four findings as the paper shows them, each a sentence read from the
/// data and a chart (the same charts `--plot` draws), before any detail.
extension ReportData {
    static let summaryID = "summary"
    static let summaryHeading = "Findings"

    /// The average lens pair when there are several pairs, else the only one.
    var lensHeadline: LensSection.Pair? { lens.flatMap { $0.average ?? ($0.pairs.count == 1 ? $0.pairs[0] : nil) } }

    func renderSummary(into html: inout HTMLWriter) {
        html.element("ul", [("class", "findings")]) { list in
            finding("Logit lens", .lens, into: &list) { lensHeadline.map { StudyFindings.lens($0, pairs: lens?.pairs.count ?? 0) } }
            finding("MEXA", .mexa, into: &list) { mexa.map(StudyFindings.mexa) }
            finding("LAPE", .lape, warnings: lape?.warnings ?? [], into: &list) { lape.map(StudyFindings.lape) }
            finding("Ablation", .ablation, warnings: ablation.map(StudyFindings.ablationWarnings) ?? [], into: &list) {
                ablation.map(StudyFindings.ablation)
            }
        }
        html.element("div", [("class", "grid summary-charts")]) { grid in
            if let pair = lensHeadline {
                grid.figure(StudyCharts.lens(title: "Logit lens, \(pair.label ?? "\(pair.source) → \(pair.target)")",
                                             description: "Mean probability of each token set and of the correct next token per layer, with 95% intervals over prompts.",
                                             layers: pair.layers, curves: pair.curves.map(\.chartCurve)),
                            caption: "Token sets by layer, shaded: the 95% interval over \(pair.prompts) prompts. Per pair: the lens section below.",
                            data: pair.curvesCSV)
            }
            if let mexa {
                grid.figure(StudyCharts.mexaPivots(languages: mexa.languages, layers: mexa.layers, averages: mexa.pivotAverages,
                                                   intervals: mexa.pivotIntervals.map { $0.map { (low: $0.low, high: $0.high) } },
                                                   selfNote: mexa.includesSelf ? "self-pair included" : "self-pair excluded",
                                                   width: 560, height: 320),
                            caption: "Mean alignment of each pivot with the others, shaded: the 95% interval over \(mexa.items) items.",
                            data: mexa.pivotAveragesCSV)
            }
            if let lape {
                grid.figure(StudyCharts.lapeCounts(languages: lape.languages, countsPerLayer: lape.countsPerLayer, layers: lape.layers,
                                                   width: 560, height: 320),
                            caption: "Neurons LAPE selects per layer for each language (\(lape.selection)).",
                            data: lape.countsCSV)
            }
            if let ablation, !StudyFindings.ownVersusControl(ablation).isEmpty {
                grid.figure(StudyCharts.ablationOwnVersusControl(StudyFindings.ownVersusControl(ablation)),
                            caption: "ΔNLL of each language with its own neurons zeroed (bars: 95% interval over documents) and with the random control (± one standard deviation over seeds).")
            }
        }
    }

    /// One line of the findings list: the analysis's name, its reading (or why there is none) and its warnings.
    private func finding(_ name: String, _ id: ReportSectionID, warnings: [String] = [], into list: inout HTMLWriter,
                         _ reading: () -> String?) {
        list.element("li") { item in
            item.element("a", [("href", "#\(id.rawValue)"), ("class", "finding-name")], text: name)
            item.text(" ")
            if let sentence = reading() {
                item.text(sentence)
            } else {
                item.element("span", [("class", "absent")], text: "No data: " + (absentReasons[id] ?? HTMLReport.defaultAbsence(id)))
            }
            if !warnings.isEmpty {
                item.element("span", [("class", "warning")],
                             text: " Warning\(warnings.count == 1 ? "" : "s"): " + warnings.prefix(3).joined(separator: "; ")
                                 + (warnings.count > 3 ? "; and \(warnings.count - 3) more in the section below." : "."))
            }
        }
    }
}

extension LensSection.Curve {
    var chartCurve: StudyCharts.LensCurve { .init(name: name, series: series, values: values, low: low, high: high) }
}
