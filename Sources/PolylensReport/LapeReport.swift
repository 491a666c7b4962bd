import Foundation

extension LapeSection {
    func render(into html: inout HTMLWriter) {
        html.paragraph("Selection: \(selection). τ = \(String(format: "%.4g", tau)), the \(String(format: "%g", quantile)) quantile "
                       + "of all activation probabilities; a neuron counts for a language when its activation probability "
                       + "there exceeds τ and its entropy over languages is among the lowest.", class: "method")
        for w in warnings { html.paragraph("Warning: \(w).", class: "warning") }
        if languages.isEmpty { html.noData("no language has selected neurons."); return }

        let counts = BarChart(
            title: "Language-specific neurons per layer",
            description: "Number of neurons LAPE selects for each language in each layer.",
            categories: (0..<layers).map(String.init),
            series: languages.enumerated().map { k, name in
                BarChart.Series(name: name, values: (0..<layers).map { l in
                    k < countsPerLayer.count && l < countsPerLayer[k].count ? Double(countsPerLayer[k][l]) : .nan
                })
            },
            xLabel: AxisLabel("layer", unit: "transformer block, 0-based"), yLabel: AxisLabel("neurons", unit: "count"))
        html.figure(counts.svg, caption: "Selected neurons per layer for each language.",
                    data: CSVTable(fileName: "lape-counts-per-layer.csv", header: ["layer"] + languages,
                                   rows: (0..<layers).map { l in
                                       [.integer(l)] + languages.indices.map { k in
                                           k < countsPerLayer.count && l < countsPerLayer[k].count ? .integer(countsPerLayer[k][l]) : .text("")
                                       }
                                   }))

        let overlapMatrix = languages.indices.map { a in
            languages.indices.map { b in a < overlap.count && b < overlap[a].count ? Double(overlap[a][b]) : .nan }
        }
        let heatmap = Heatmap(
            title: "Overlap of language-specific neurons",
            description: "Number of neurons selected for both languages; the diagonal is each language's total.",
            rowLabels: languages, columnLabels: languages, values: overlapMatrix,
            rowAxis: AxisLabel("language"), columnAxis: AxisLabel("language"),
            valueLabel: AxisLabel("shared neurons", unit: "count"), scale: .sequential(nil), decimals: 0)
        html.figure(heatmap.svg, caption: "Neurons selected for both languages (diagonal: all neurons of the language).",
                    data: CSVTable(fileName: "lape-overlap.csv", header: ["language"] + languages,
                                   rows: languages.enumerated().map { a, name in
                                       [.text(name)] + languages.indices.map { b in
                                           overlapMatrix[a][b].isFinite ? .integer(Int(overlapMatrix[a][b])) : .text("")
                                       }
                                   }))

        if sharedByAll.isEmpty {
            html.paragraph("No neuron is selected for all \(languages.count) languages.")
        } else {
            html.table(CSVTable(fileName: "lape-shared-by-all.csv", header: ["layer", "neuron"],
                                rows: sharedByAll.map { [.integer($0.layer), .integer($0.neuron)] }),
                       caption: sharedByAll.count == 1 ? "The one neuron selected for every language."
                                                   : "The \(sharedByAll.count) neurons selected for every language.",
                       maxRows: 40)
        }
        cards?.render(into: &html)
    }
}
