/// GPT-2's reversible map from bytes to printable characters, in which byte-level vocabularies are written
/// (`Ġ` is the space byte, `Ċ` the newline): printable Latin-1 bytes stand for themselves, the other 68
/// bytes take the characters from U+0100 on, in byte order.
enum ByteLevelAlphabet {
    /// Character of each byte.
    static let characters: [Unicode.Scalar] = {
        var out = [Unicode.Scalar](repeating: " ", count: 256)
        var extra: UInt32 = 0
        for b in 0..<256 {
            let printable = (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b)
            if printable {
                out[b] = Unicode.Scalar(UInt32(b))!
            } else {
                out[b] = Unicode.Scalar(256 + extra)!
                extra += 1
            }
        }
        return out
    }()

    private static let bytesOfCharacter: [UInt32: UInt8] = {
        var map: [UInt32: UInt8] = [:]
        for (b, c) in characters.enumerated() { map[c.value] = UInt8(b) }
        return map
    }()

    /// The bytes a vocabulary entry stands for, or nil if it uses a character outside the alphabet.
    static func bytes(of text: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.unicodeScalars.count)
        for s in text.unicodeScalars {
            guard let b = bytesOfCharacter[s.value] else { return nil }
            out.append(b)
        }
        return out
    }

    /// How a vocabulary writes these bytes.
    static func text(of bytes: [UInt8]) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(characters[Int(b)]) }
        return String(s)
    }
}
