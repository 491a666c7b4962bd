import Foundation

extension MexaSection {
    /// The pivot averages with their intervals, one row per layer (the findings' MEXA chart).
    var pivotAveragesCSV: CSVTable {
        let pivotInterval = { (p: Int, i: Int) in self.pivotIntervals[safe: p]?[safe: i] ?? .unknown }
        return CSVTable(fileName: "mexa-pivot-averages.csv",
                        header: ["layer"] + languages.flatMap { [$0, "\($0) low", "\($0) high"] },
                        rows: layers.enumerated().map { i, layer in
                            [.integer(layer)] + languages.indices.flatMap { p -> [CSVTable.Cell] in
                                [.number(pivotAverages[safe: p]?[safe: i] ?? .nan, decimals: 4),
                                 .number(pivotInterval(p, i).low, decimals: 4), .number(pivotInterval(p, i).high, decimals: 4)]
                            }
                        })
    }

    func render(into html: inout HTMLWriter) {
        html.paragraph("Alignment of languages A and B at a layer: the fraction of the \(items) parallel items whose "
                       + "\(pooling == "last" ? "last-token" : "position-weighted mean") embedding in A is the strict best "
                       + "cosine match of its counterpart in B, in both its row and its column. Pivot averages "
                       + (includesSelf ? "include the pivot itself (as the paper does)." : "exclude the pivot itself."),
                       class: "method")
        if let intervalMethod { html.paragraph("Intervals (in the CSV downloads): \(intervalMethod).", class: "method") }
        if languages.isEmpty || layers.isEmpty { html.noData("no language pair was scored."); return }
        let pivotInterval = { (p: Int, i: Int) in self.pivotIntervals[safe: p]?[safe: i] ?? .unknown }
        let scoreInterval = { (i: Int, a: Int, b: Int) in self.scoreIntervals[safe: i]?[safe: a]?[safe: b] ?? .unknown }

        if !pivotIntervals.isEmpty {
            // The chart's numbers at the heatmap layers, with their intervals, so the error bars are on the page.
            let shown = heatmapLayers.compactMap { layers.firstIndex(of: $0) }
            html.table(CSVTable(fileName: "mexa-pivot-intervals.csv", header: ["layer"] + languages,
                                rows: shown.map { i in
                                    [.text(StudyCharts.layerName(layers[i]))] + languages.indices.map { p -> CSVTable.Cell in
                                        let v = pivotAverages[safe: p]?[safe: i] ?? .nan, c = pivotInterval(p, i)
                                        return .text(String(format: "%.3f [%.3f, %.3f]", v, c.low, c.high))
                                    }
                                }),
                       caption: "Mean alignment of each pivot with the others at the heatmap layers, with its 95% interval over items.")
        }
        html.element("div", [("class", "grid")]) { grid in
            for layer in heatmapLayers {
                guard let index = layers.firstIndex(of: layer), index < scores.count else { continue }
                grid.figure(StudyCharts.mexaPairs(layer: layer, languages: languages, scores: scores[index]),
                            caption: "Fraction of \(items) items matched to their own translation at layer \(StudyCharts.layerName(layer)).",
                            data: CSVTable(fileName: "mexa-layer-\(layer).csv", header: ["language"] + languages,
                                           rows: languages.enumerated().map { a, name in
                                               [.text(name)] + languages.indices.map { b in
                                                   .number(a < scores[index].count && b < scores[index][a].count ? scores[index][a][b] : .nan, decimals: 4)
                                               }
                                           }))
            }
        }

        var all: [[CSVTable.Cell]] = []
        for (i, layer) in layers.enumerated() where i < scores.count {
            for (a, nameA) in languages.enumerated() where a < scores[i].count {
                for (b, nameB) in languages.enumerated() where b < scores[i][a].count {
                    all.append([.integer(layer), .text(nameA), .text(nameB), .number(scores[i][a][b], decimals: 4),
                                .number(scoreInterval(i, a, b).low, decimals: 4), .number(scoreInterval(i, a, b).high, decimals: 4)])
                }
            }
        }
        html.element("p") { p in
            p.text("Every pair at every layer: ")
            p.download(CSVTable(fileName: "mexa-all.csv", header: ["layer", "language A", "language B", "score", "low", "high"], rows: all))
        }
    }
}
