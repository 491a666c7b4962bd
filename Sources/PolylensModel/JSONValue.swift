import Foundation

/// A parsed JSON value that keeps integers, floats and booleans apart (Foundation's JSONSerialization
/// on Linux reports `1` as a Bool), so model headers and configs are checked by their real types.
public enum JSONValue: Equatable, Sendable {
    case null, bool(Bool), int(Int64), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    /// Parses `data`, or nil when it is not JSON.
    public static func parse(_ data: Data) -> JSONValue? { try? read(data) }

    /// Parses `data` strictly (RFC 8259, UTF-8); the error says what is wrong and at which byte.
    public static func read(_ data: Data) throws -> JSONValue {
        try data.withUnsafeBytes { raw in
            var p = JSONReader(raw.bindMemory(to: UInt8.self))
            return try p.document()
        }
    }

    public var isNull: Bool { self == .null }
    /// An integer, also when written with a zero fraction (`10000.0`).
    public var int: Int? {
        switch self {
        case .int(let i): return Int(exactly: i)
        case .double(let d): return Int(exactly: d)
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var object: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }
}

/// What is wrong with a JSON text, e.g. "duplicate key \"dtype\" at byte 120".
public struct JSONSyntaxError: Error, CustomStringConvertible {
    public let description: String
}

/// A recursive-descent reader written for files from strangers: nesting is bounded (no stack overflow),
/// a key given twice is an error (decoders disagree on which copy wins, so a checker and a loader could
/// read different tensors), and strings must be valid UTF-8.
struct JSONReader {
    static let maxDepth = 128

    private let b: UnsafeBufferPointer<UInt8>
    private var i = 0
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { b = bytes }

    mutating func document() throws -> JSONValue {
        let v = try value()
        skipSpace()
        guard i == b.count else { throw fail("unexpected text after the value") }
        return v
    }

    private func fail(_ what: String) -> JSONSyntaxError { JSONSyntaxError(description: "\(what) at byte \(i)") }

    private mutating func skipSpace() {
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
    }

    private mutating func value() throws -> JSONValue {
        skipSpace()
        guard i < b.count else { throw fail("unexpected end") }
        switch b[i] {
        case UInt8(ascii: "{"): return try nested { try $0.object() }
        case UInt8(ascii: "["): return try nested { try $0.array() }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func nested(_ body: (inout JSONReader) throws -> JSONValue) throws -> JSONValue {
        guard depth < Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) deep") }
        depth += 1
        defer { depth -= 1 }
        i += 1
        return try body(&self)
    }

    private mutating func object() throws -> JSONValue {
        var out: [String: JSONValue] = [:]
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .object(out) }
        while true {
            skipSpace()
            guard i < b.count else { throw fail("unexpected end") }
            guard b[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
            let at = i
            let key = try string()
            guard out[key] == nil else {
                throw JSONSyntaxError(description: "duplicate key \"\(key.printableExcerpt(limit: 60))\" at byte \(at)")
            }
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            i += 1
            out[key] = try value()
            if try !another(before: "}") { return .object(out) }
        }
    }

    private mutating func array() throws -> JSONValue {
        var out: [JSONValue] = []
        skipSpace()
        if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .array(out) }
        while true {
            out.append(try value())
            if try !another(before: "]") { return .array(out) }
        }
    }

    /// After a member or element: true at ',' (another follows), false at `closer` (the container ends).
    private mutating func another(before closer: Unicode.Scalar) throws -> Bool {
        skipSpace()
        guard i < b.count else { throw fail("unexpected end") }
        if b[i] == UInt8(ascii: ",") { i += 1; return true }
        guard b[i] == UInt8(ascii: closer) else { throw fail("expected ',' or '\(closer)'") }
        i += 1
        return false
    }

    private mutating func literal(_ word: StaticString) throws {
        let n = word.utf8CodeUnitCount
        guard b.count - i >= n, memcmp(b.baseAddress! + i, word.utf8Start, n) == 0 else { throw fail("unexpected word") }
        i += n
    }

    private mutating func number() throws -> JSONValue {
        let start = i
        var integral = true
        if b[i] == UInt8(ascii: "-") { i += 1 }
        let first = i
        guard digits() > 0 else { throw fail("malformed number") }
        if b[first] == UInt8(ascii: "0"), i - first > 1 { throw fail("number with a leading zero") }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard digits() > 0 else { throw fail("malformed number") }
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw fail("malformed number") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self)
        if integral, let v = Int64(text) { return .int(v) }
        guard let d = Double(text) else { throw fail("malformed number") }
        return .double(d)
    }

    private mutating func digits() -> Int {
        let start = i
        while i < b.count, b[i] >= UInt8(ascii: "0"), b[i] <= UInt8(ascii: "9") { i += 1 }
        return i - start
    }

    private mutating func string() throws -> String {
        i += 1  // opening quote
        var bytes: [UInt8] = []
        while true {
            guard i < b.count else { throw fail("unterminated string") }
            let c = b[i]
            i += 1
            switch c {
            case UInt8(ascii: "\""):
                guard let s = String(validating: bytes, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard i < b.count else { throw fail("unterminated string") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): bytes.append(e)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"): bytes.append(contentsOf: Array(String(try escapedScalar()).utf8))
                default: throw fail("unknown escape")
                }
            case 0..<0x20: throw fail("control character in a string")
            default: bytes.append(c)
            }
        }
    }

    /// After `\u`: four hex digits, or a surrogate pair written as two escapes.
    private mutating func escapedScalar() throws -> Unicode.Scalar {
        let first = try hex4()
        if (0xD800..<0xDC00).contains(first) {
            guard b.count - i >= 2, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                throw fail("lone surrogate")
            }
            i += 2
            let second = try hex4()
            guard (0xDC00..<0xE000).contains(second) else { throw fail("lone surrogate") }
            return Unicode.Scalar(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))!
        }
        guard let s = Unicode.Scalar(first) else { throw fail("lone surrogate") }
        return s
    }

    private mutating func hex4() throws -> UInt32 {
        guard b.count - i >= 4 else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = Int(String(UnicodeScalar(b[i])), radix: 16) else { throw fail("bad \\u escape") }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}
