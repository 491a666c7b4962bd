/// The Unicode classes pre-tokenizer regexes test (`\p{L}`, `\p{N}`, `\p{P}`, `\s`), read from UTF-8 bytes.
/// A table answers for ASCII and the BMP so the scanners never build Characters or call into the regex engine.
enum UnicodeClass {
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    /// `\s` of Rust's `regex` and Oniguruma: the Unicode White_Space property.
    static let whitespace: UInt8 = 4
    static let punctuation: UInt8 = 8

    @inline(__always)
    static func flags(_ scalar: UInt32) -> UInt8 {
        if scalar < 0x10000 { return bmp[Int(scalar)] }
        return compute(scalar)
    }

    /// Decodes the scalar at `i` of valid UTF-8 (Swift strings always are): its value and byte length.
    @inline(__always)
    static func scalar(_ p: UnsafePointer<UInt8>, _ i: Int) -> (value: UInt32, length: Int) {
        let b0 = UInt32(p[i])
        if b0 < 0x80 { return (b0, 1) }
        if b0 < 0xE0 { return ((b0 & 0x1F) << 6 | UInt32(p[i + 1] & 0x3F), 2) }
        if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(p[i + 1] & 0x3F) << 6 | UInt32(p[i + 2] & 0x3F), 3)
        }
        return ((b0 & 0x07) << 18 | UInt32(p[i + 1] & 0x3F) << 12 | UInt32(p[i + 2] & 0x3F) << 6
                | UInt32(p[i + 3] & 0x3F), 4)
    }

    private static let bmp: [UInt8] = (0..<0x10000).map { compute(UInt32($0)) }

    /// Kept out of line: Unicode.Scalar.Properties is resilient, and inlining it would make every caller
    /// fetch its metadata and allocate stack on each call.
    @inline(never)
    private static func compute(_ v: UInt32) -> UInt8 {
        guard let s = Unicode.Scalar(v) else { return 0 }
        var f: UInt8 = s.properties.isWhitespace ? whitespace : 0
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: f |= letter
        case .decimalNumber, .letterNumber, .otherNumber: f |= number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation: f |= punctuation
        default: break
        }
        return f
    }
}
