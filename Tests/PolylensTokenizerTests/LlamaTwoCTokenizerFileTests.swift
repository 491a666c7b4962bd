import XCTest
import PolylensModel
@testable import PolylensTokenizer

final class LlamaTwoCTokenizerFileTests: XCTestCase {
    struct Case: Decodable { let prompt: String; let expected: [Int] }
    struct Cases: Decodable { let tests: [Case] }

    /// llama2.c's own test.c prompts, BOS included.
    func testLlamaTwoCPrompts() throws {
        let tok = try LlamaTwoCTokenizerFile.load(SharedFiles.url("models/llama2c/tokenizer.bin"))
        XCTAssertEqual(tok.vocabSize, 32000)
        XCTAssertEqual(tok.bosId, 1)
        XCTAssertEqual(tok.eosId, 2)
        let data = try Data(contentsOf: SharedFiles.url("models/llama2c/tokenizer-tests.json"))
        let cases = try JSONDecoder().decode(Cases.self, from: data).tests
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            XCTAssertEqual(tok.encode(c.prompt, addBOS: true, parseSpecial: false), c.expected, c.prompt)
            XCTAssertEqual(tok.decode(c.expected), c.prompt)
        }
    }

    /// tokenizer.bin is llama2.c's export of tokenizer.model: same pieces, same ids on real code.
    func testAgreesWithTheSentencePieceModelItWasExportedFrom() throws {
        let bin = try LlamaTwoCTokenizerFile.load(SharedFiles.url("models/llama2c/tokenizer.bin"))
        let model = try SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tokenizer.model"))
        XCTAssertEqual(bin.pieces.count, model.pieces.count)
        for i in 0..<model.pieces.count { XCTAssertEqual(bin.pieces[i], model.pieces[i], "piece \(i)") }
        let text = try String(contentsOf: SharedFiles.url("data/text/textwrap16k.txt"), encoding: .utf8)
        XCTAssertEqual(bin.encode(text, addBOS: true, parseSpecial: false), model.encode(text, addBOS: true, parseSpecial: false))
    }

    /// tok512.model normalizes extra whitespace away (remove_extra_whitespaces is on) and tok512.bin cannot say
    /// so; on text with single spaces they must give the same ids.
    func testTok512ModelAndBinAgree() throws {
        let bin = try LlamaTwoCTokenizerFile.load(SharedFiles.url("models/llama2c/tok512.bin"))
        let model = try SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tok512.model"))
        XCTAssertEqual(bin.vocabSize, 512)
        XCTAssertTrue(model.normalization.removeExtraWhitespaces)
        let raw = try String(contentsOf: SharedFiles.url("data/text/textwrap16k.txt"), encoding: .utf8)
            + (try String(contentsOf: SharedFiles.url("models/llama2c/stories260K.expected-greedy-200.txt"), encoding: .utf8))
        let text = raw.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        let ids = model.encode(text, addBOS: true, parseSpecial: false)
        XCTAssertGreaterThan(ids.count, 5000)
        XCTAssertEqual(bin.encode(text, addBOS: true, parseSpecial: false), ids)
        XCTAssertEqual(model.decode(ids), text)
    }

    func testTruncatedFileIsAnErrorNamingIt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("polylens-l2c-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("tok.bin")
        let whole = try Data(contentsOf: SharedFiles.url("models/llama2c/tok512.bin"))
        try whole.prefix(3001).write(to: bad)
        XCTAssertThrowsError(try LlamaTwoCTokenizerFile.load(bad)) { e in
            XCTAssertTrue("\(e)".hasPrefix(bad.path + ": truncated"), "\(e)")
        }
    }
}
