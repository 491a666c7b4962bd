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

    /// USER_DEFINED pieces are matched whole and never merged; UNUSED pieces are merged through and split back.
    /// No shared model has them, so tok512.model gets a few changed types; the expected ids are sentencepiece's
    /// on the same change (tools/make_tokenizer_goldens.py).
    func testUserDefinedAndUnusedPiecesAsSentencepiece() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "spm-tok512-types", withExtension: "txt", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        let base = try SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tok512.model"))
        var pieces = base.pieces
        for change in lines[0].dropFirst(2).split(separator: " ") {
            let f = change.split(separator: ":").map { Int($0)! }
            pieces[f[0]].type = try XCTUnwrap(SentencePieceBPE.PieceType(rawValue: f[1]))
        }
        XCTAssertEqual(pieces.filter { $0.type == .userDefined }.count, 2)
        let tok = try SentencePieceBPE(pieces: pieces, normalization: base.normalization, byteFallback: base.byteFallback,
                                       bosId: base.bosId, eosId: base.eosId, source: url)
        var changed = 0
        for line in lines.dropFirst() {
            let parts = line.split(separator: "\t", maxSplits: 1)
            let text = try JSONDecoder().decode(String.self, from: Data(parts[0].utf8))
            let expected = parts.count > 1 ? parts[1].split(separator: " ").map { Int($0)! } : []
            let ids = tok.encode(text, addBOS: false, parseSpecial: false)
            XCTAssertEqual(ids, expected, text)
            if base.encode(text, addBOS: false, parseSpecial: false) != expected { changed += 1 }
        }
        XCTAssertEqual(lines.count - 1, 348)
        XCTAssertEqual(changed, 94, "the changed types must matter")
    }
}
