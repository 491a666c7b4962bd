import Foundation
import PolylensModel
@testable import PolylensTokenizer
import XCTest

/// Llama 3 from its tiktoken rank file against tiktoken itself (goldens over every paper snippet and
/// comment), round trips, and damaged rank files.
final class TiktokenRanksFileTests: XCTestCase {
    static let ranks = SharedFiles.url("models/llama3/tokenizer.model")

    func testMatchesTiktokenOnEveryPaperSnippet() throws {
        let tok = try ByteLevelBPE(tiktokenRanks: Self.ranks)
        let golden = try GoldenFixture("llama3-paper-snippets")
        XCTAssertEqual(golden.items.count, 8134)
        var mismatches = 0
        for item in golden.items {
            let ids = tok.encode(item.text, addBOS: false, parseSpecial: false)
            if ids != item.ids[0] {
                mismatches += 1
                if mismatches <= 5 { XCTFail("\(item.file) \(item.field): got \(ids), want \(item.ids[0])") }
            }
            XCTAssertEqual(tok.encode(item.text, addBOS: false, parseSpecial: true), ids)
            XCTAssertEqual(tok.decode(ids), item.text, "\(item.file) \(item.field)")
        }
        XCTAssertEqual(mismatches, 0)
    }

    /// One tokenizer shared by threads: each call takes its own scratch state and memo from the pool.
    func testConcurrentEncodingGivesTheSameIds() throws {
        let tok = try ByteLevelBPE(tiktokenRanks: Self.ranks)
        let items = try GoldenFixture("llama3-paper-snippets").items
        let mismatches = UnsafeMutablePointer<Int>.allocate(capacity: 4)
        defer { mismatches.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 4) { t in
            mismatches[t] = 0
            // Each thread its own order, so the memos hold different strings when they are consulted.
            let order = t % 2 == 0 ? Array(items) : items.reversed()
            for item in order where tok.encode(item.text, addBOS: false, parseSpecial: false) != item.ids[0] {
                mismatches[t] += 1
            }
        }
        XCTAssertEqual((0..<4).map { mismatches[$0] }, [0, 0, 0, 0])
    }

    func testSpecialTokensFollowMetasList() throws {
        let names = TiktokenRanksFile.llama3Specials
        XCTAssertEqual(names.count, 256)
        XCTAssertEqual(Set(names).count, 256)
        XCTAssertEqual(names[9], "<|eot_id|>")
        XCTAssertEqual(names[12], "<|reserved_special_token_2|>")
        XCTAssertEqual(names[255], "<|reserved_special_token_245|>")
    }

    private func rankFile(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bad-ranks-\(UUID().uuidString).model")
        try Data(text.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func assertError(_ text: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try rankFile(text)
        XCTAssertThrowsError(try ByteLevelBPE(tiktokenRanks: url), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.hasPrefix(url.path), message, file: file, line: line)
            XCTAssertTrue(message.contains(fragment), message, file: file, line: line)
            XCTAssertFalse(message.contains("\n"), file: file, line: line)
        }
    }

    func testDamagedFilesGiveOneLineErrorsNamingTheFile() throws {
        let good = (0..<256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)" }.joined(separator: "\n")
        XCTAssertNoThrow(try ByteLevelBPE(tiktokenRanks: try rankFile(good + "\n")))
        try assertError(good + "\nIQ==\n", "line 257: expected 'base64-token rank'")
        try assertError(good + "\n@@@ 256\n", "line 257: invalid base64 token")
        try assertError(good + "\nQQ=B 256\n", "line 257: invalid base64 token")
        try assertError(good + "\nISE= 300\n", "line 257: rank 300, expected 256")
        try assertError(good + "\nISE= x\n", "line 257")
        try assertError("", "no tokens")
        try assertError((1..<256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0 - 1)" }.joined(separator: "\n"),
                        "no token for byte 0")
        XCTAssertThrowsError(try ByteLevelBPE(tiktokenRanks: URL(fileURLWithPath: "/nonexistent/tokenizer.model"))) {
            XCTAssertEqual("\($0)", "/nonexistent/tokenizer.model: cannot open (No such file or directory)")
        }
    }
}
