import Foundation

extension LensSection {
    func render(into html: inout HTMLWriter) {
        html.paragraph(method, class: "method")
        if pairs.isEmpty { html.noData("no source/target pair has lens prompts."); return }
        // The average's chart opens the page (the findings); here only its top tokens.
        average?.render(into: &html, chart: false)
        html.element("div", [("class", "grid")]) { grid in
            // A single pair's chart is the findings' lens chart.
            for pair in pairs { pair.render(into: &grid, chart: pairs.count > 1) }
        }
    }
}

extension LensSection.Pair {
    var slug: String { "lens-\(ReportNames.slug(source))-\(ReportNames.slug(target))" }
    var heading: String { label ?? "\(source) → \(target)" }

    /// The curves' numbers with their intervals, one row per layer.
    var curvesCSV: CSVTable {
        func at(_ v: [Double]?, _ i: Int) -> CSVTable.Cell { .number(i < (v?.count ?? 0) ? v![i] : .nan, decimals: 4) }
        return CSVTable(fileName: "\(slug)-curves.csv",
                        header: ["layer"] + curves.flatMap { c in c.low == nil ? [c.name] : [c.name, c.name + " 95% low", c.name + " 95% high"] },
                        rows: layers.indices.map { i in
                            [.integer(layers[i])] + curves.flatMap { c in c.low == nil ? [at(c.values, i)] : [at(c.values, i), at(c.low, i), at(c.high, i)] }
                        })
    }

    /// The chart (unless the findings already show it) and the top tokens at the chosen layers.
    func render(into html: inout HTMLWriter, chart: Bool = true) {
        html.element("div", [("class", "pair"), ("id", slug)]) { div in
            div.element("h3", text: heading)
            if chart {
                div.figure(StudyCharts.lens(title: "\(heading): token sets by layer",
                                            description: "Mean probability the logit lens gives to each token set at each layer, \(label ?? "\(source) to \(target) translation").",
                                            layers: layers, curves: curves.map(\.chartCurve)),
                           caption: "Probability of each token set per layer over \(prompts) prompts and \(positions) target positions.",
                           data: curvesCSV)
            }
            guard !topTokens.isEmpty else { return }
            let k = topTokens.map(\.tokens.count).max() ?? 0
            let wide = CSVTable(fileName: "\(slug)-top-tokens.csv", header: ["layer"] + (1...max(k, 1)).map { "#\($0)" },
                                rows: topTokens.map { layer in
                                    [layer.layer == 0 ? .text(StudyCharts.layerName(0)) : .integer(layer.layer)] + (0..<max(k, 1)).map { r in
                                        r < layer.tokens.count
                                            ? .text("\(ReportNames.visibleToken(layer.tokens[r].token)) \(String(format: "%.3f", layer.tokens[r].probability))")
                                            : .text("")
                                    }
                                })
            let long = CSVTable(fileName: "\(slug)-top-tokens.csv", header: ["layer", "rank", "token", "probability"],
                                rows: topTokens.flatMap { layer in
                                    layer.tokens.enumerated().map {
                                        [.integer(layer.layer), .integer($0.offset + 1), .text($0.element.token),
                                         .number($0.element.probability, decimals: 4)]
                                    }
                                })
            div.table(wide, caption: "Top decoded tokens (␣ = space, ↵ = newline) with mean probability at selected layers.",
                      download: long)
        }
    }
}

/// Names and token text as the page shows them.
enum ReportNames {
    /// A file-name and id-safe form of a language name: `C++` → `cpp`, `C#` → `csharp`.
    static func slug(_ name: String) -> String {
        var out = ""
        for ch in name.lowercased() {
            switch ch {
            case "+": out += "p"
            case "#": out += "sharp"
            case "a"..."z", "0"..."9": out.append(ch)
            default: out += "-"
            }
        }
        return out.isEmpty ? "x" : out
    }

    /// A vocabulary piece as text: SentencePiece's `▁` as a space, an ASCII byte piece (`<0x0A>`) as its
    /// character; anything else as the vocabulary writes it.
    static func readablePiece(_ piece: String) -> String {
        let scalars = Array(piece.unicodeScalars)
        if scalars.count == 6, piece.hasPrefix("<0x"), piece.hasSuffix(">"),
           let byte = UInt8(String(piece.dropFirst(3).prefix(2)), radix: 16), byte < 0x80 {
            return String(UnicodeScalar(byte))
        }
        return piece.replacingOccurrences(of: "\u{2581}", with: " ")
    }

    /// Whitespace made visible, so that " if" and "if" read differently.
    static func visibleToken(_ token: String) -> String {
        token.replacingOccurrences(of: " ", with: "␣").replacingOccurrences(of: "\n", with: "↵")
            .replacingOccurrences(of: "\t", with: "⇥")
    }
}
