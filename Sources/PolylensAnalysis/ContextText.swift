import PolylensTokenizer

/// A context window as text: what precedes the firing token, the token, what follows. Decoded as one
/// sequence and cut at the token's boundaries, so spaces that belong to the token or after it survive
/// (SentencePiece drops a leading space when a piece starts a decoded sequence). Ids < 0 (outside the
/// document) are left out; newlines and tabs are shown as ⏎ and ⇥ to keep one line.
public enum ContextText {
    public static func parts(_ tokens: [Int32], firing: Int, tokenizer: Tokenizer?) -> (before: String, token: String, after: String) {
        let before = tokens[..<firing].filter { $0 >= 0 }.map(Int.init)
        let after = tokens[(firing + 1)...].filter { $0 >= 0 }.map(Int.init)
        let token = Int(tokens[firing])
        guard let tokenizer else {
            return (before.map(String.init).joined(separator: " "), "\(token)", after.map(String.init).joined(separator: " "))
        }
        let b = tokenizer.decode(before), bt = tokenizer.decode(before + [token]), all = tokenizer.decode(before + [token] + after)
        guard bt.hasPrefix(b), all.hasPrefix(bt) else {
            return (show(b), show(tokenizer.decode([token])), show(tokenizer.decode(after)))
        }
        return (show(b), show(String(bt.dropFirst(b.count))), show(String(all.dropFirst(bt.count))))
    }

    static func show(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\t", with: "⇥")
    }
}
