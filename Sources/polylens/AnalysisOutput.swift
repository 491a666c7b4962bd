import ArgumentParser
import Foundation
import PolylensModel
import PolylensReport

/// How a command writes a tabular answer on stdout.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json

    /// `text`, what `estimate` and `bench tokenizer` called the table before the vocabulary was unified.
    init?(argument: String) { self.init(rawValue: argument == "text" ? "table" : argument) }
}

/// A table for the terminal (aligned columns), as CSV (CSVField's quoting) or TSV (no quoting: tabs and
/// line breaks inside a value become spaces).
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    func text(format: OutputFormat) -> String {
        switch format {
        case .csv: return csv
        case .table, .json: return table
        }
    }

    var csv: String { ([header] + rows).map(CSVField.line).joined(separator: "\n") + "\n" }

    var tsv: String {
        let field = { (s: String) in String(s.map { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 }) }
        return ([header] + rows).map { $0.map(field).joined(separator: "\t") }.joined(separator: "\n") + "\n"
    }

    /// Aligned columns under a dashed rule, trailing spaces trimmed.
    var table: String {
        let widths = header.indices.map { c in ([header] + rows).map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        let line = { (r: [String]) in
            r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
                + rows.map(line)).joined(separator: "\n") + "\n"
    }
}

/// The analysis commands' answer on stdout (through StandardOutput) and their --plot files.
enum AnalysisOutput {
    /// Tables and CSV carry language names and paths from the file: escaped for the terminal.
    static func write(_ text: String) { StandardOutput.write(text.terminalSafe) }

    /// Pretty, key-sorted JSON; non-finite numbers (an undefined average) become null-like strings.
    static func writeJSON<T: Encodable>(_ value: T, keys: JSONEncoder.KeyEncodingStrategy = .useDefaultKeys) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = keys
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(value)
        data.append(0x0A)
        StandardOutput.write(data)
    }

    /// Writes a standalone SVG file (all or nothing: a temporary file renamed into place).
    static func writeSVG(_ charts: [SVGElement], to path: String) throws {
        var root = charts.count == 1 ? charts[0] : SVGElement("svg")
        if charts.count > 1 {
            // Several charts stacked in one document, each keeping its own coordinate system.
            var y = 0.0, width = 0.0
            for c in charts {
                let size = { (key: String, fallback: Double) in Double(c.attributes.first { $0.0 == key }?.1 ?? "") ?? fallback }
                var placed = c
                placed.attributes.removeAll { $0.0 == "x" || $0.0 == "y" || $0.0 == "xmlns" }
                placed.attributes += [("x", "0"), ("y", String(y))]
                root.append(placed)
                y += size("height", 380); width = max(width, size("width", 720))
            }
            root.attributes = [("xmlns", "http://www.w3.org/2000/svg"), ("width", "\(width)"), ("height", "\(y)"),
                               ("viewBox", "0 0 \(width) \(y)")]
        }
        let body = root.markup
        try OutputFile.write(Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body + "\n").utf8), to: path, what: "plot")
    }

    static func number(_ v: Double, _ decimals: Int = 4) -> String {
        v.isFinite ? String(format: "%.\(decimals)f", v) : (v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf"))
    }
}
