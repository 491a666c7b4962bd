import XCTest
import PolylensModel
@testable import PolylensTokenizer

/// Every paper snippet and C comment, tokenized by the `sentencepiece` package (tools/make_tokenizer_goldens.py):
/// our ids must be the same, and decoding must give the text back.
final class SentencePieceGoldenTests: XCTestCase {
    struct Golden { let key: String; let text: String; let ids: [Int] }

    /// The fixture's lines with their texts, read from ../shared in place.
    static func goldens(_ fixture: String) throws -> [Golden] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: fixture, withExtension: "txt", subdirectory: "Fixtures"))
        let base = SharedFiles.url("data/paper/code_snippets")
        var out: [Golden] = []
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let name = key.split(separator: " ")
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: base.appendingPathComponent(name[0] + ".json")))
            let field = name[1] == "s" ? "snippet" : "comment"
            let text = try XCTUnwrap((json as? [String: Any])?[field] as? String, key)
            out.append(Golden(key: key, text: text, ids: parts[1].split(separator: " ").map { Int($0)! }))
        }
        return out
    }

    func check(_ tok: SentencePieceBPE, _ fixture: String) throws {
        let goldens = try Self.goldens(fixture)
        XCTAssertEqual(goldens.count, 7 * 581 + 581)
        var same = 0, roundTrips = 0
        for g in goldens {
            let ids = tok.encode(g.text, addBOS: false, parseSpecial: false)
            if ids == g.ids { same += 1 } else { XCTFail("\(fixture) \(g.key): ids differ") }
            if tok.decode(ids) == g.text { roundTrips += 1 } else { XCTFail("\(fixture) \(g.key): round trip differs") }
        }
        print("\(fixture): \(same)/\(goldens.count) same ids, \(roundTrips) round trips")
    }

    func testLlama2Model() throws {
        try check(SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tokenizer.model")), "spm-llama2-snippets")
    }

    func testPolycodeModel() throws {
        let tok = try XCTUnwrap(TokenizerLoader.forModel(SharedFiles.url("models/polycode")) as? SentencePieceBPE)
        XCTAssertEqual(tok.vocabSize, 4096)
        try check(tok, "spm-polycode-snippets")
    }

    /// The plain scan (short chunks) and the priority queue (long chunks) must agree; force each everywhere.
    func testScanAndPriorityQueueGiveTheSameIds() throws {
        let tok = try SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tokenizer.model"))
        let goldens = try Self.goldens("spm-llama2-snippets")
        tok.usesChunkCache = false
        for limit in [0, Int.max] {
            tok.scanLimit = limit
            for g in goldens {
                XCTAssertEqual(tok.encode(g.text, addBOS: false, parseSpecial: false), g.ids, "scanLimit \(limit) \(g.key)")
            }
        }
    }

    /// One tokenizer shared by threads (each call takes its own buffers and chunk cache).
    func testConcurrentEncodingGivesTheSameIds() throws {
        let tok = try SentencePieceModelFile.load(SharedFiles.url("models/polycode/tokenizer.model"))
        let goldens = try Self.goldens("spm-polycode-snippets")
        let mismatches = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { mismatches.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            mismatches[t] = 0
            for g in goldens.reversed() where tok.encode(g.text, addBOS: false, parseSpecial: false) != g.ids {
                mismatches[t] += 1
            }
        }
        XCTAssertEqual((0..<4).map { mismatches[$0] }, [0, 0, 0, 0])
    }
}
