import Foundation

extension MexaSection {
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

        let pivots = LineChart(
            title: "Alignment by layer, per pivot language",
            description: "Mean MEXA score of each pivot language with the other languages at each layer.",
            xLabel: AxisLabel("layer", unit: "0 = embeddings"), yLabel: AxisLabel("mean MEXA score", unit: "0–1"),
            series: languages.enumerated().map { p, name in
                LineChart.Series(name: name, points: layers.enumerated().map { i, layer in
                    (Double(layer), p < pivotAverages.count && i < pivotAverages[p].count ? pivotAverages[p][i] : .nan)
                })
            },
            yRange: 0...1)
        html.figure(pivots.svg,
                    caption: "Mean alignment of each pivot language with the others against layer (\(includesSelf ? "self-pair included" : "self-pair excluded")).",
                    data: CSVTable(fileName: "mexa-pivot-averages.csv",
                                   header: ["layer"] + languages.flatMap { [$0, "\($0) low", "\($0) high"] },
                                   rows: layers.enumerated().map { i, layer in
                                       [.integer(layer)] + languages.indices.flatMap { p -> [CSVTable.Cell] in
                                           [.number(p < pivotAverages.count && i < pivotAverages[p].count ? pivotAverages[p][i] : .nan, decimals: 4),
                                            .number(pivotInterval(p, i).low, decimals: 4), .number(pivotInterval(p, i).high, decimals: 4)]
                                       }
                                   }))

        if !pivotIntervals.isEmpty {
            // The chart's numbers at the heatmap layers, with their intervals, so the error bars are on the page.
            let shown = heatmapLayers.compactMap { layers.firstIndex(of: $0) }
            html.table(CSVTable(fileName: "mexa-pivot-intervals.csv", header: ["layer"] + languages,
                                rows: shown.map { i in
                                    [.integer(layers[i])] + languages.indices.map { p -> CSVTable.Cell in
                                        let v = pivotAverages[safe: p]?[safe: i] ?? .nan, c = pivotInterval(p, i)
                                        return .text(String(format: "%.3f [%.3f, %.3f]", v, c.low, c.high))
                                    }
                                }),
                       caption: "Mean alignment of each pivot with the others at the heatmap layers, with its 95% interval over items.")
        }
        html.element("div", [("class", "grid")]) { grid in
            for layer in heatmapLayers {
                guard let index = layers.firstIndex(of: layer), index < scores.count else { continue }
                let heatmap = Heatmap(
                    title: "Pair alignment at layer \(layer)",
                    description: "MEXA score of every language pair at layer \(layer); rows and columns are languages.",
                    rowLabels: languages, columnLabels: languages, values: scores[index],
                    rowAxis: AxisLabel("language A"), columnAxis: AxisLabel("language B"),
                    valueLabel: AxisLabel("MEXA score", unit: "0–1"), scale: .sequential(0...1))
                grid.figure(heatmap.svg,
                            caption: "Fraction of \(items) items matched to their own translation at layer \(layer).",
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
