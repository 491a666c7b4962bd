import ArgumentParser
import Foundation
import PolylensModel
import PolylensReport

/// How the analysis commands write their answer on stdout.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, csv, json
}

/// A table for the terminal (aligned columns) or as CSV (RFC 4180 quoting).
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    func text(format: OutputFormat) -> String {
        switch format {
        case .csv:
            return ([header] + rows).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
        case .table, .json:
            let widths = header.indices.map { c in ([header] + rows).map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
            let line = { (r: [String]) in
                r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                    .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            }
            return ([line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
                    + rows.map(line)).joined(separator: "\n") + "\n"
        }
    }

    static func csvField(_ s: String) -> String {
        s.contains(where: { ",\"\n\r".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

enum AnalysisOutput {
    /// Tables and CSV carry language names and paths from the file: escaped for the terminal.
    static func write(_ text: String) { FileHandle.standardOutput.write(Data(text.terminalSafe.utf8)) }

    /// Pretty, key-sorted JSON; non-finite numbers (an undefined average) become null-like strings.
    static func writeJSON<T: Encodable>(_ value: T, keys: JSONEncoder.KeyEncodingStrategy = .useDefaultKeys) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = keys
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var data = try encoder.encode(value)
        data.append(0x0A)
        FileHandle.standardOutput.write(data)
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
        let url = URL(fileURLWithPath: path)
        do {
            try Data(("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body + "\n").utf8).write(to: url, options: .atomic)
        } catch {
            throw CLIError("\(path): cannot write the plot (\(error.localizedDescription))")
        }
    }

    static func number(_ v: Double, _ decimals: Int = 4) -> String {
        v.isFinite ? String(format: "%.\(decimals)f", v) : (v.isNaN ? "nan" : (v > 0 ? "inf" : "-inf"))
    }
}
