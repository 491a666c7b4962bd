import Foundation

/// What every tokenizer (SentencePiece BPE, byte-level BPE, llama2.c) offers the rest of Polylens.
public protocol Tokenizer: AnyObject, Sendable {
    var vocabSize: Int { get }
    var bosId: Int? { get }
    var eosId: Int? { get }
    /// Ids exactly as the reference library's `encode` gives them.
    /// `parseSpecial`: text such as `<s>` or `<|begin_of_text|>` becomes its special token.
    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int]
    /// Text of a sequence of ids; bytes split across tokens are joined before UTF-8 decoding.
    func decode(_ ids: [Int]) -> String
    /// The vocabulary entry of one id as the model sees it (e.g. `▁for`, `Ġfor`, `<0x0A>`), for display.
    func piece(_ id: Int) -> String
}
