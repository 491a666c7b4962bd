import XCTest
import PolylensModel
@testable import PolylensTokenizer

/// llama.cpp's tokenizer tests for the SentencePiece vocabularies in llama.cpp-vocab: every case must match.
/// The expected ids were made without BOS and with special-token parsing on.
final class SentencePieceConformanceTests: XCTestCase {
    static func cases(_ name: String) throws -> [(input: String, ids: [Int])] {
        let dir = "models/llama.cpp-vocab/ggml-vocab-\(name).gguf"
        let inp = try String(contentsOf: SharedFiles.url(dir + ".inp"), encoding: .utf8)
        let out = try String(contentsOf: SharedFiles.url(dir + ".out"), encoding: .utf8)
        let inputs = inp.components(separatedBy: "\n__ggml_vocab_test__\n")
        var lines = out.components(separatedBy: "\n")
        if lines.count == inputs.count + 1, lines.last == "" { lines.removeLast() }
        guard lines.count == inputs.count else {
            throw ModelFileError(path: dir, "\(inputs.count) inputs but \(lines.count) expected lines")
        }
        return zip(inputs, lines).map { ($0, $1.split(separator: " ").compactMap { Int($0) }) }
    }

    func check(_ name: String) throws {
        let url = SharedFiles.url("models/llama.cpp-vocab/ggml-vocab-\(name).gguf")
        let tok = try TokenizerLoader.load(url)
        XCTAssertTrue(tok is SentencePieceBPE)
        let cases = try Self.cases(name)
        XCTAssertEqual(cases.count, 47)
        var passed = 0
        for c in cases {
            let ids = tok.encode(c.input, addBOS: false, parseSpecial: true)
            XCTAssertEqual(ids, c.ids, "\(name): \(c.input.debugDescription)")
            if ids == c.ids { passed += 1 }
        }
        print("conformance \(name): \(passed)/\(cases.count)")
    }

    func testLlamaSPM() throws { try check("llama-spm") }
    func testPhi3() throws { try check("phi-3") }

    /// llama.cpp-vocab has no .inp/.out for baichuan: the expected ids are sentencepiece's on the GGUF's own
    /// pieces written back into a ModelProto (tools/make_tokenizer_goldens.py; the same reconstruction of the
    /// llama-spm GGUF reproduces llama.cpp's 47/47), over the 47 inputs and the 581 Python snippets.
    func testBaichuan() throws {
        let tok = try TokenizerLoader.load(SharedFiles.url("models/llama.cpp-vocab/ggml-vocab-baichuan.gguf"))
        XCTAssertEqual(tok.vocabSize, 64000)
        let url = try XCTUnwrap(Bundle.module.url(forResource: "spm-baichuan", withExtension: "txt", subdirectory: "Fixtures"))
        var same = 0, count = 0
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            let text = try JSONDecoder().decode(String.self, from: Data(parts[0].utf8))
            let expected = parts.count > 1 ? parts[1].split(separator: " ").map { Int($0)! } : []
            let ids = tok.encode(text, addBOS: false, parseSpecial: true)
            XCTAssertEqual(ids, expected, text)
            XCTAssertEqual(tok.decode(ids), text)
            count += 1
            if ids == expected { same += 1 }
        }
        XCTAssertEqual(count, 47 + 581)
        print("conformance baichuan (sentencepiece on the GGUF pieces): \(same)/\(count)")
    }

    /// The llama-spm GGUF and the Llama 2 tokenizer.model hold the same vocabulary.
    func testLlamaSPMVocabularyIsTheLlama2Model() throws {
        let gguf = try XCTUnwrap(TokenizerLoader.load(SharedFiles.url("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf")) as? SentencePieceBPE)
        let model = try SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tokenizer.model"))
        XCTAssertEqual(gguf.pieces, model.pieces)
        XCTAssertEqual(gguf.bosId, 1)
        XCTAssertEqual(gguf.eosId, 2)
    }
}
