import Foundation

/// The one CSV quoting (RFC 4180) for every CSV the tool writes: `export`, the analysis commands, `sql` and
/// the report's downloads. A text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or
/// CR first: OWASP's CSV injection list) gets a leading `'`, so a language or file name taken from a corpus
/// cannot execute when a researcher opens the CSV; numbers such as `-0.5` or `+3` stay numbers.
public enum CSVField {
    private static let formulaStarts: Set<Character> = ["=", "+", "-", "@", "\t", "\r", "\r\n"]

    public static func quote(_ field: String) -> String {
        var s = field
        if let first = s.first, formulaStarts.contains(first), Double(s) == nil { s = "'" + s }
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// One CSV line from its fields.
    public static func line(_ fields: [String]) -> String { fields.map(quote).joined(separator: ",") }
}
