import Foundation

/// Finds special-token text (`<s>`, `<|begin_of_text|>`, added tokens) in input, longest match first, so that
/// every tokenizer cuts its input the same way before running its own algorithm on the plain parts.
///
///     let specials = SpecialTokens(["<s>": 1, "</s>": 2])
///     for segment in specials.split("<s>hello</s>") {
///         switch segment {
///         case .special(let id): ids.append(id)
///         case .text(let plain): ids += encodePlain(plain)   // a Substring of the input, never empty
///         }
///     }
///
/// Matching works on UTF-8 bytes: at each position the longest token that starts there wins; the scan then
/// resumes after it (no overlapping matches). Empty token texts are ignored.
public struct SpecialTokens: Sendable {
    public enum Segment: Equatable, Sendable {
        case text(Substring)
        case special(Int)
    }

    /// A byte trie; node 0 is the root. `id` is -1 where no token ends.
    private struct Node: Sendable {
        var children: [UInt8: Int32] = [:]
        var id: Int32 = -1
    }

    private var nodes: [Node] = [Node()]
    /// Bytes that start some token: positions starting with any other byte are skipped without a trie walk.
    private var firstBytes = [Bool](repeating: false, count: 256)
    public private(set) var tokens: [String: Int] = [:]

    public init(_ tokens: [String: Int] = [:]) {
        for (text, id) in tokens { insert(text, id: id) }
    }

    public var isEmpty: Bool { tokens.isEmpty }

    /// Adds one token; a later insert of the same text replaces its id.
    public mutating func insert(_ text: String, id: Int) {
        guard !text.isEmpty else { return }
        tokens[text] = id
        var node = 0
        for b in text.utf8 {
            if let next = nodes[node].children[b] {
                node = Int(next)
            } else {
                nodes.append(Node())
                nodes[node].children[b] = Int32(nodes.count - 1)
                node = nodes.count - 1
            }
        }
        nodes[node].id = Int32(id)
        firstBytes[Int(text.utf8.first!)] = true
    }

    /// The longest token starting at `offset` in `bytes`: its id and its length in bytes.
    @inline(__always)
    public func longestMatch(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> (id: Int, length: Int)? {
        guard firstBytes[Int(bytes[offset])] else { return nil }
        var node = 0
        var best: (id: Int, length: Int)? = nil
        var i = offset
        while i < bytes.count, let next = nodes[node].children[bytes[i]] {
            node = Int(next)
            i += 1
            if nodes[node].id >= 0 { best = (Int(nodes[node].id), i - offset) }
        }
        return best
    }

    /// The input cut into plain text and special tokens, in order.
    public func split(_ text: String) -> [Segment] {
        if isEmpty || text.isEmpty { return text.isEmpty ? [] : [.text(text[...])] }
        var cuts: [(start: Int, length: Int, id: Int)] = []
        var copy = text
        copy.withUTF8 { bytes in
            var i = 0
            while i < bytes.count {
                if let m = longestMatch(bytes, at: i) {
                    cuts.append((i, m.length, m.id))
                    i += m.length
                } else {
                    i += 1
                }
            }
        }
        if cuts.isEmpty { return [.text(text[...])] }
        let utf8 = text.utf8
        func index(_ offset: Int) -> String.Index { utf8.index(utf8.startIndex, offsetBy: offset) }
        var out: [Segment] = []
        var plainStart = 0
        for c in cuts {
            if c.start > plainStart { out.append(.text(text[index(plainStart)..<index(c.start)])) }
            out.append(.special(c.id))
            plainStart = c.start + c.length
        }
        if plainStart < utf8.count { out.append(.text(text[index(plainStart)...])) }
        return out
    }
}
