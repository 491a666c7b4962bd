import XCTest
import PolylensModel
@testable import PolylensTokenizer

/// Behaviour of the SentencePiece BPE encoder and decoder; expected ids are from the `sentencepiece` package.
final class SentencePieceBPETests: XCTestCase {
    static let llama2 = try! SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tokenizer.model"))

    func testByteFallbackAndItsDecoding() {
        let tok = Self.llama2
        XCTAssertEqual(tok.encode("😀 ok", addBOS: false, parseSpecial: false), [29871, 243, 162, 155, 131, 3431])
        XCTAssertEqual(tok.decode([1, 29871, 243, 162, 155, 131]), "😀")
        // A character cut between calls: one U+FFFD per byte, as sentencepiece.
        XCTAssertEqual(tok.decode([243, 162]), "\u{FFFD}\u{FFFD}")
        XCTAssertEqual(tok.decode([0, 13]), " \u{2047} \n")
    }

    func testWhitespaceAndDummyPrefix() {
        let tok = Self.llama2
        XCTAssertEqual(tok.encode("  a  b ", addBOS: false, parseSpecial: false), [259, 263, 29871, 289, 29871])
        XCTAssertEqual(tok.encode("", addBOS: false, parseSpecial: false), [])
        XCTAssertEqual(tok.encode("", addBOS: true, parseSpecial: false), [1])
        XCTAssertEqual(tok.decode(tok.encode("  a  b ", addBOS: true, parseSpecial: false)), "  a  b ")
    }

    /// tok512.model has remove_extra_whitespaces on.
    func testRemoveExtraWhitespaces() throws {
        let tok = try SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tok512.model"))
        XCTAssertEqual(tok.encode("  a  b ", addBOS: false, parseSpecial: false), [261, 268])
        XCTAssertEqual(tok.encode("x   y", addBOS: false, parseSpecial: false), [410, 444, 348])
        XCTAssertEqual(tok.decode([261, 268]), "a b")
    }

    /// Control text is plain text unless asked; when parsed, the text after it is a new sentence (llama.cpp).
    func testSpecialTokenParsing() {
        let tok = Self.llama2
        XCTAssertEqual(tok.encode("<s>x", addBOS: false, parseSpecial: false), [529, 29879, 29958, 29916])
        let x = tok.encode("x", addBOS: false, parseSpecial: false)
        XCTAssertEqual(tok.encode("<s>x</s>", addBOS: false, parseSpecial: true), [1] + x + [2])
        XCTAssertEqual(tok.encode("<unk>", addBOS: false, parseSpecial: true), [0])
        XCTAssertEqual(tok.decode([1] + x + [2]), "x")
    }

    func testPieces() {
        let tok = Self.llama2
        XCTAssertEqual(tok.piece(1), "<s>")
        XCTAssertEqual(tok.piece(13), "<0x0A>")
        XCTAssertEqual(tok.piece(363), "▁for")
        XCTAssertEqual(tok.piece(-1), "")
        XCTAssertEqual(tok.piece(32000), "")
    }
}
