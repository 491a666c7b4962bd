import Foundation
import PolylensModel
@testable import PolylensTokenizer
import XCTest

/// tokenizer.json against the Hugging Face `tokenizers` package (goldens from tools/make_bpe_goldens.py).
final class HFTokenizerJSONTests: XCTestCase {
    static let polycode = SharedFiles.url("models/polycode/tokenizer.json")

    private func temporary(_ name: String, _ data: Data) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return url
    }

    /// polycode's tokenizer.json rewritten in the Llama-2 layout, exactly as the golden script does.
    private func legacyPolycode() throws -> URL {
        var spec = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: Self.polycode)) as? [String: Any])
        spec["normalizer"] = ["type": "Sequence", "normalizers": [
            ["type": "Prepend", "prepend": "▁"],
            ["type": "Replace", "pattern": ["String": " "], "content": "▁"],
        ]]
        spec["pre_tokenizer"] = NSNull()
        return try temporary("tokenizer.json", JSONSerialization.data(withJSONObject: spec))
    }

    func testPolycodeMatchesTokenizersOnEveryPaperSnippet() throws {
        let shipped = try HFTokenizerJSON.load(Self.polycode)
        let legacy = try HFTokenizerJSON.load(legacyPolycode())
        XCTAssertEqual(shipped.vocabSize, 4096)
        XCTAssertEqual(shipped.bosId, 1)
        XCTAssertEqual(shipped.eosId, 2)
        let golden = try GoldenFixture("polycode-hf-snippets")
        XCTAssertEqual(golden.items.count, 8134)
        var mismatches = [0, 0]
        for item in golden.items {
            for (k, tok) in [shipped, legacy].enumerated() {
                let ids = tok.encode(item.text, addBOS: false, parseSpecial: true)
                if ids != item.ids[k] {
                    mismatches[k] += 1
                    if mismatches[k] <= 3 { XCTFail("layout \(k) \(item.file) \(item.field): got \(ids), want \(item.ids[k])") }
                }
            }
            // The Llama-2 layout's prefix space is stripped again on decoding, so it round-trips.
            XCTAssertEqual(legacy.decode(legacy.encode(item.text, addBOS: false, parseSpecial: false)), item.text)
        }
        XCTAssertEqual(mismatches, [0, 0])
        XCTAssertEqual(shipped.encode("x", addBOS: true, parseSpecial: false).first, 1)
        XCTAssertEqual(shipped.encode("<s>x</s>", addBOS: false, parseSpecial: true).first, 1)
        XCTAssertEqual(shipped.encode("<s>x</s>", addBOS: false, parseSpecial: true).last, 2)
    }

    /// Two byte-level tokenizer.json files trained with `tokenizers` (Llama-3 layout with ignore_merges, GPT-2
    /// layout), against `tokenizers`' own ids on every paper snippet.
    func testByteLevelLayoutsMatchTokenizersOnEveryPaperSnippet() throws {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "bytelevel-hf", withExtension: nil, subdirectory: "Fixtures"))
        let llama3 = try HFTokenizerJSON.load(dir.appendingPathComponent("llama3-style.json"))
        let gpt2 = try HFTokenizerJSON.load(dir.appendingPathComponent("gpt2-style.json"))
        XCTAssertEqual((llama3 as? ByteLevelBPE)?.preTokenizer, .llama3)
        XCTAssertEqual((llama3 as? ByteLevelBPE)?.ignoreMerges, true)
        XCTAssertEqual((gpt2 as? ByteLevelBPE)?.preTokenizer, .gpt2)
        let golden = try GoldenFixture("bytelevel-hf-snippets")
        XCTAssertEqual(golden.items.count, 4067)
        var mismatches = [0, 0]
        for item in golden.items {
            for (k, tok) in [llama3, gpt2].enumerated() {
                let ids = tok.encode(item.text, addBOS: false, parseSpecial: true)
                if ids != item.ids[k] {
                    mismatches[k] += 1
                    if mismatches[k] <= 3 { XCTFail("layout \(k) \(item.file): got \(ids), want \(item.ids[k])") }
                }
                XCTAssertEqual(tok.decode(ids), item.text)
            }
        }
        XCTAssertEqual(mismatches, [0, 0])
        // Added tokens are found in text always, special ones only when asked.
        XCTAssertEqual(llama3.encode("a<added>", addBOS: false, parseSpecial: false).last, 2000)
        XCTAssertEqual(llama3.encode("<|end_of_text|>", addBOS: false, parseSpecial: true), [1])
        XCTAssertNotEqual(llama3.encode("<|end_of_text|>", addBOS: false, parseSpecial: false), [1])
    }

    func testBadFilesGiveOneLineErrorsNamingTheFile() throws {
        let full = try Data(contentsOf: Self.polycode)
        let cases: [(Data, String)] = [
            (full.prefix(full.count / 2), "invalid JSON"),
            (Data("[1, 2]".utf8), "top level is not an object"),
            (Data(#"{"model": {"type": "Unigram", "vocab": []}}"#.utf8), "model type Unigram is not supported"),
            (Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}}}"#.utf8), "no model.merges"),
            (Data(#"{"model": {"type": "BPE", "vocab": {"a": "x"}, "merges": []}}"#.utf8), "has no valid id"),
            (Data(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": [3]}}"#.utf8), "merge 0 is neither"),
            (Data(#"{"pre_tokenizer": {"type": "Whitespace"}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}"#.utf8),
             "pre-tokenizer [\"Whitespace\"] is not supported"),
        ]
        for (data, fragment) in cases {
            let url = try temporary("tokenizer.json", data)
            XCTAssertThrowsError(try HFTokenizerJSON.load(url)) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix(url.path), message)
                XCTAssertTrue(message.contains(fragment), "\(message) lacks \(fragment)")
                XCTAssertFalse(message.contains("\n"))
            }
        }
    }
}
