import Foundation

extension String {
    /// This text cut to at most `limit` characters with every control, escape and bidi-override character
    /// written as `\u{..}`: model and tokenizer files come from strangers, and what they hold must neither
    /// flood a terminal with a 70 KB line nor reach it as escape sequences.
    public func printableExcerpt(limit: Int = 80) -> String {
        var out = ""
        var kept = 0
        for s in unicodeScalars {
            if kept == limit { return out + "…" }
            kept += 1
            if Self.isPrintable(s) { out.unicodeScalars.append(s) } else { out += "\\u{\(String(s.value, radix: 16))}" }
        }
        return out
    }

    /// The whole text with the same escapes, line breaks and tabs kept: the one function every string that came
    /// from a file passes on its way to the terminal (tables, `info`, errors), so an ESC stored in a model path or
    /// a language name can neither retitle the window nor forge output lines.
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: { !Self.isPrintable($0) && $0 != "\n" && $0 != "\t" }) else { return self }
        var out = ""
        for s in unicodeScalars {
            if Self.isPrintable(s) || s == "\n" || s == "\t" { out.unicodeScalars.append(s) } else { out += "\\u{\(String(s.value, radix: 16))}" }
        }
        return out
    }

    private static func isPrintable(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0..<0x20, 0x7F...0x9F: return false              // C0, DEL, C1 (ESC, CSI)
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return false  // bidi marks and overrides
        case 0xFFF9...0xFFFB, 0xFEFF: return false
        default: return s.properties.generalCategory != .unassigned && s.properties.generalCategory != .surrogate
        }
    }
}
