import Foundation
import PolylensModel
@testable import PolylensTokenizer
import XCTest

/// llama.cpp's tokenizer conformance pairs (ids from the reference Hugging Face tokenizers, no BOS,
/// special-token parsing on) over every byte-level vocabulary in ../shared, and Llama 3's from its rank file.
final class ByteLevelBPETests: XCTestCase {
    static let vocabDir = "models/llama.cpp-vocab/"

    /// The 47 (text, ids) cases of one vocabulary's .inp/.out pair.
    static func conformanceCases(_ name: String) throws -> [(text: String, ids: [Int])] {
        let base = SharedFiles.url(vocabDir + "ggml-vocab-\(name).gguf")
        let inp = try String(contentsOf: base.appendingPathExtension("inp"), encoding: .utf8)
        let out = try String(contentsOf: base.appendingPathExtension("out"), encoding: .utf8)
        let texts = inp.components(separatedBy: "\n__ggml_vocab_test__\n")
        let lines = out.components(separatedBy: "\n")
        XCTAssertEqual(texts.count, 47, name)
        XCTAssertGreaterThanOrEqual(lines.count, texts.count, name)
        return texts.enumerated().map { i, t in (t, lines[i].split(separator: " ").map { Int($0)! }) }
    }

    /// Number of cases that match; each mismatch is reported with both id lists.
    @discardableResult
    static func check(_ tok: Tokenizer, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        var passed = 0
        for (i, c) in try conformanceCases(name).enumerated() {
            let got = tok.encode(c.text, addBOS: false, parseSpecial: true)
            if got == c.ids { passed += 1 } else {
                XCTFail("\(name) case \(i) \(c.text.debugDescription): got \(got), want \(c.ids)", file: file, line: line)
            }
        }
        return passed
    }

    func gguf(_ name: String) throws -> ByteLevelBPE {
        try ByteLevelBPE(gguf: GGUFFile(SharedFiles.url(Self.vocabDir + "ggml-vocab-\(name).gguf")))
    }

    func testDeepSeekCoder() throws { XCTAssertEqual(try Self.check(gguf("deepseek-coder"), "deepseek-coder"), 47) }
    func testDeepSeekLLM() throws { XCTAssertEqual(try Self.check(gguf("deepseek-llm"), "deepseek-llm"), 47) }
    func testStarCoder() throws { XCTAssertEqual(try Self.check(gguf("starcoder"), "starcoder"), 47) }
    func testRefact() throws { XCTAssertEqual(try Self.check(gguf("refact"), "refact"), 47) }
    func testGPT2() throws { XCTAssertEqual(try Self.check(gguf("gpt-2"), "gpt-2"), 47) }
    func testFalcon() throws { XCTAssertEqual(try Self.check(gguf("falcon"), "falcon"), 47) }
    func testMPT() throws { XCTAssertEqual(try Self.check(gguf("mpt"), "mpt"), 47) }

    func testLlama3RankFile() throws {
        let tok = try ByteLevelBPE(tiktokenRanks: SharedFiles.url("models/llama3/tokenizer.model"))
        XCTAssertEqual(try Self.check(tok, "llama-bpe"), 47)
        XCTAssertEqual(tok.vocabSize, 128_256)
        XCTAssertEqual(tok.bosId, 128_000)
        XCTAssertEqual(tok.eosId, 128_001)
        XCTAssertEqual(tok.encode("<|begin_of_text|>hi<|eot_id|>", addBOS: false, parseSpecial: true),
                       [128_000, 6151, 128_009])
        XCTAssertEqual(tok.encode("hi", addBOS: true, parseSpecial: false), [128_000, 6151])
        XCTAssertNotEqual(tok.encode("<|eot_id|>", addBOS: false, parseSpecial: false), [128_009])
        XCTAssertEqual(tok.piece(128_255), "<|reserved_special_token_245|>")
        XCTAssertEqual(tok.piece(tok.encode(" for", addBOS: false, parseSpecial: false)[0]), "Ġfor")
    }

    /// GPT-NeoX has no `tokenizer.ggml.pre`, so llama.cpp uses its default cascade (there are no conformance
    /// ids for it in ../shared). It shares MPT's vocabulary: words and space runs come out as MPT's, while
    /// the default's punctuation and digit stages cut "x + 1" into single pieces.
    func testGPTNeoXUsesTheDefaultPreTokenizer() throws {
        let neox = try gguf("gpt-neox")
        XCTAssertEqual(neox.preTokenizer, .default)
        XCTAssertEqual(neox.vocabSize, 50_432)
        let mpt = try gguf("mpt")
        for text in ["Hello world", "    Hello\n    Hello"] {
            XCTAssertEqual(neox.encode(text, addBOS: false, parseSpecial: true),
                           mpt.encode(text, addBOS: false, parseSpecial: true))
        }
        let ids = neox.encode("x + 12345", addBOS: false, parseSpecial: true)
        XCTAssertEqual(ids.map { neox.decode([$0]) }, ["x", " ", "+", " ", "123", "45"])
    }

    /// Decoding joins bytes before reading UTF-8, so a character split across tokens comes back whole,
    /// and a lone half of one becomes U+FFFD instead of a crash.
    func testDecodeJoinsSplitCharacters() throws {
        let tok = try gguf("gpt-2")
        for (text, _) in try Self.conformanceCases("gpt-2") {
            XCTAssertEqual(tok.decode(tok.encode(text, addBOS: false, parseSpecial: false)), text)
        }
        let llama = tok.encode("🦙", addBOS: false, parseSpecial: false)
        XCTAssertGreaterThan(llama.count, 1)
        XCTAssertEqual(tok.decode(Array(llama.prefix(1))), "\u{FFFD}")
        XCTAssertEqual(tok.decode(llama + [-1, 1_000_000]), "🦙")
    }

    func testSpecialParsing() throws {
        let tok = try gguf("starcoder")
        XCTAssertEqual(tok.encode("<fim_prefix>x", addBOS: false, parseSpecial: true).first, 1)
        XCTAssertNotEqual(tok.encode("<fim_prefix>x", addBOS: false, parseSpecial: false).first, 1)
        XCTAssertEqual(tok.decode(tok.encode("a<fim_prefix>b", addBOS: false, parseSpecial: true)), "a<fim_prefix>b")
    }

    /// A vocabulary-only GGUF v3 with string metadata and string arrays.
    private func writeGGUF(_ strings: [String: String], _ arrays: [String: [String]]) throws -> URL {
        var d = Data("GGUF".utf8)
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); d.append(contentsOf: Array(s.utf8)) }
        u32(3); u64(0); u64(UInt64(strings.count + arrays.count))
        for (k, v) in strings { str(k); u32(8); str(v) }
        for (k, v) in arrays { str(k); u32(9); u32(8); u64(UInt64(v.count)); v.forEach(str) }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID().uuidString).gguf")
        try d.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testGGUFErrors() throws {
        let bytes = (0..<256).map { ByteLevelAlphabet.text(of: [UInt8($0)]) }
        let good = try writeGGUF(["tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "gpt-2"],
                                 ["tokenizer.ggml.tokens": bytes + ["ab"], "tokenizer.ggml.merges": ["a b"]])
        XCTAssertEqual(try ByteLevelBPE(gguf: GGUFFile(good)).encode("ab", addBOS: false, parseSpecial: false), [256])
        let unknown = try writeGGUF(["tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "klingon"],
                                    ["tokenizer.ggml.tokens": bytes])
        XCTAssertThrowsError(try ByteLevelBPE(gguf: GGUFFile(unknown))) {
            XCTAssertEqual("\($0)", "\(unknown.path): unknown pre-tokenizer 'klingon' in tokenizer.ggml.pre")
        }
        let badMerge = try writeGGUF(["tokenizer.ggml.model": "gpt2"],
                                     ["tokenizer.ggml.tokens": bytes, "tokenizer.ggml.merges": ["ab"]])
        XCTAssertThrowsError(try ByteLevelBPE(gguf: GGUFFile(badMerge))) {
            XCTAssertEqual("\($0)", "\(badMerge.path): merge 0 is not a 'left right' string")
        }

        let spm = try GGUFFile(SharedFiles.url(Self.vocabDir + "ggml-vocab-llama-spm.gguf"))
        XCTAssertThrowsError(try ByteLevelBPE(gguf: spm)) { e in
            XCTAssertTrue("\(e)".contains("ggml-vocab-llama-spm.gguf"), "\(e)")
            XCTAssertTrue("\(e)".contains("'llama'"), "\(e)")
        }
    }
}
