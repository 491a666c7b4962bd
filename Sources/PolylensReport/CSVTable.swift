import Foundation
import PolylensModel

/// A table shown on the page and offered as a CSV download from the same cells, so the two never disagree.
public struct CSVTable: Sendable {
    public enum Cell: Sendable, Equatable {
        case text(String)
        case integer(Int)
        /// Full precision in the CSV, `decimals` on the page; non-finite values are empty cells.
        case number(Double, decimals: Int)

        var display: String {
            switch self {
            case .text(let s): return s
            case .integer(let i): return String(i)
            case .number(let v, let d): return v.isFinite ? String(format: "%.\(d)f", v) : "–"
            }
        }

        var csv: String {
            switch self {
            case .text(let s): return s
            case .integer(let i): return String(i)
            case .number(let v, _): return v.isFinite ? "\(v)" : ""
            }
        }

        var isNumeric: Bool { if case .text = self { return false } else { return true } }
    }

    /// The download's file name, e.g. `lape-counts.csv`.
    public var fileName: String
    public var header: [String]
    public var rows: [[Cell]]

    public init(fileName: String, header: [String], rows: [[Cell]]) {
        self.fileName = fileName; self.header = header; self.rows = rows
    }

    /// RFC 4180 with CRLF line ends, quoted as every CSV of the tool is (CSVField: formula prefixes neutralised).
    public var csv: String {
        ([header] + rows.map { $0.map(\.csv) }).map { CSVField.line($0) }
            .joined(separator: "\r\n") + "\r\n"
    }

    public var dataURI: String { "data:text/csv;charset=utf-8;base64," + Data(csv.utf8).base64EncodedString() }
}
