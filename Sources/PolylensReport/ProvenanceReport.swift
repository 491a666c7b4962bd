import Foundation

extension ProvenanceSection {
    /// One line that identifies the run, shown above the folded tables.
    var headline: String {
        let tokens = corpora.map(\.tokens).reduce(0, +)
        return "Model \(modelPath) (\(modelFormat)), \(corpora.count) languages, "
            + "\(tokens) tokens counted; file written by Polylens \(fileVersion), report by \(reportVersion)."
    }

    func render(into html: inout HTMLWriter) {
        html.table(CSVTable(fileName: "provenance-model.csv", header: ["field", "value"], rows: [
            ["file", file], ["model", modelPath], ["model format", modelFormat], ["model sha256", modelSHA256],
            ["tokenizer", tokenizerPath], ["tokenizer sha256", tokenizerSHA256],
            ["written by Polylens", fileVersion], ["report by Polylens", reportVersion],
        ].map { $0.map(CSVTable.Cell.text) }), caption: "The model and tokenizer the numbers come from, identified by sha256.")

        html.table(CSVTable(fileName: "provenance-architecture.csv", header: ["number", "value"],
                            rows: architecture.map { [.text($0.0), .text($0.1)] }),
                   caption: "The model's architecture numbers as recorded at ingest.")

        var rows: [[CSVTable.Cell]] = corpora.map {
            [.text($0.language), .integer($0.documents), .integer($0.tokens), .integer($0.heldOutDocuments),
             .integer($0.heldOutTokens), .integer($0.parallelDocuments)]
        }
        if corpora.count > 1 {
            rows.append([.text("all"), .integer(corpora.map(\.documents).reduce(0, +)),
                         .integer(corpora.map(\.tokens).reduce(0, +)), .integer(corpora.map(\.heldOutDocuments).reduce(0, +)),
                         .integer(corpora.map(\.heldOutTokens).reduce(0, +)), .integer(corpora.map(\.parallelDocuments).reduce(0, +))])
        }
        html.table(CSVTable(fileName: "provenance-corpora.csv",
                            header: ["language", "documents", "tokens counted", "held-out documents",
                                     "held-out tokens", "parallel snippets"], rows: rows),
                   caption: "Documents and tokens per language; held-out documents are kept out of the neuron statistics for ablation.")

        html.table(CSVTable(fileName: "provenance-parameters.csv", header: ["parameter", "value"],
                            rows: parameters.map { [.text($0.0), .text($0.1)] }),
                   caption: "Every ingest parameter, as recorded in the file.")
    }
}
