import Foundation

/// JSON stored as text (a neuron set's or an ablation's parameters) encoded as the nested value it is, so a
/// command's JSON answer holds objects, never JSON inside strings.
extension JSONValue: Encodable {
    /// The stored text's value; text that is not JSON stays a string.
    public init(storedText text: String) { self = JSONValue.parse(Data(text.utf8)) ?? .string(text) }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .object(let o):
            var c = encoder.container(keyedBy: Key.self)
            for k in o.keys.sorted() { try c.encode(o[k]!, forKey: Key(stringValue: k)) }
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        default:
            var c = encoder.singleValueContainer()
            switch self {
            case .null: try c.encodeNil()
            case .bool(let b): try c.encode(b)
            case .int(let i): try c.encode(i)
            case .double(let d): try c.encode(d)
            case .string(let s): try c.encode(s)
            case .object, .array: break
            }
        }
    }
}
