import Foundation

/// JSON text written by hand where a line-by-line export cannot afford an encoder per row: compact, keys in
/// the caller's order (objects built from a dictionary sort theirs), non-finite numbers as null.
extension JSONValue {
    /// An integer of any width.
    public static func integer<T: BinaryInteger>(_ i: T) -> JSONValue { .int(Int64(i)) }

    /// A list of numbers.
    public static func numbers(_ values: [Double]) -> JSONValue { .array(values.map(JSONValue.double)) }

    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? "\(d)" : "null"
        case .string(let s): return Self.quoted(s)
        case .array(let a): return "[" + a.map(\.text).joined(separator: ",") + "]"
        case .object(let o): return Self.objectText(o.keys.sorted().map { ($0, o[$0]!) })
        }
    }

    /// An object with its keys in the given order.
    public static func objectText(_ fields: [(String, JSONValue)]) -> String {
        "{" + fields.map { quoted($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
    }

    /// A JSON string literal (RFC 8259 escapes; control characters as \u00XX).
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
