import Foundation

extension LapeSection {
    /// Selected neurons per layer and language (the findings' LAPE chart).
    var countsCSV: CSVTable {
        CSVTable(fileName: "lape-counts-per-layer.csv", header: ["layer"] + languages,
                 rows: (0..<layers).map { l in
                     [.integer(l)] + languages.indices.map { k in countsPerLayer[safe: k]?[safe: l].map(CSVTable.Cell.integer) ?? .text("") }
                 })
    }

    func render(into html: inout HTMLWriter) {
        html.paragraph("Selection: \(selection). τ = \(String(format: "%.4g", tau)), the \(String(format: "%g", quantile)) quantile "
                       + "of all activation probabilities; a neuron counts for a language when its activation probability "
                       + "there exceeds τ and its entropy over languages is among the lowest.", class: "method")
        for w in warnings { html.paragraph("Warning: \(w).", class: "warning") }
        if languages.isEmpty { html.noData("no language has selected neurons."); return }

        let overlapMatrix = languages.indices.map { a in
            languages.indices.map { b in a < overlap.count && b < overlap[a].count ? Double(overlap[a][b]) : .nan }
        }
        html.figure(StudyCharts.lapeOverlap(languages: languages, overlap: overlapMatrix), caption: "Neurons selected for both languages (diagonal: all neurons of the language).",
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
