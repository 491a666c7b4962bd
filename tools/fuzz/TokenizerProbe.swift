import Foundation
import PolylensTokenizer

/// What every tokenizer harness asks of a tokenizer it managed to build: encode text that reaches every encode
/// path (ASCII code, spaces, digits, multi-byte characters, special-token spellings), with and without special
/// tokens, every id inside the vocabulary, and decode the ids back.
enum TokenizerProbe {
    static let text = "def f(x):\n    return x  # ünïcödé 日本語 🙂\t<s></s><|begin_of_text|> 12345 \u{0}"

    /// One run of a tokenizer-file harness: the input written as `name`, loaded by `load`, exercised if it loads.
    static func run(_ data: UnsafePointer<UInt8>, _ size: Int, named name: String,
                    _ load: (URL) throws -> Tokenizer) -> CInt {
        if let tok = try? load(FuzzInput.file(data, size, named: name)) { exercise(tok) }
        return 0
    }

    static func exercise(_ tok: Tokenizer) {
        for special in [false, true] {
            let ids = tok.encode(text, addBOS: true, parseSpecial: special)
            precondition(ids.allSatisfy { $0 >= 0 && $0 < tok.vocabSize }, "id outside the vocabulary")
            _ = tok.decode(ids)
        }
    }
}
