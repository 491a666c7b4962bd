import Foundation
import XCTest
import PolylensModel

/// `polylens generate` and `polylens perplexity` as a user runs them: the built binary as a child process.
final class GenerateCommandTests: XCTestCase {
    let stories = SharedFiles.url("models/llama2c/stories260K.bin").path
    let tok512 = SharedFiles.url("models/llama2c/tok512.bin").path
    let text = SharedFiles.url("data/text/textwrap16k.txt").path

    /// The same bytes as llama2.c's `run stories260K.bin -z tok512.bin -t 0.0 -n 200`, plus its final newline.
    func testGenerateGreedyPrintsWhatLlama2cPrints() throws {
        let r = try PolylensCLI.run(["generate", "--model", stories, "--tokenizer", tok512, "--prompt", "Once upon a time",
                              "--max-tokens", "200", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.err)
        let expected = try String(contentsOf: SharedFiles.url("models/llama2c/stories260K.expected-greedy-200.txt"), encoding: .utf8)
        XCTAssertEqual(r.out, expected + "\n")
    }

    func testPerplexityJSON() throws {
        let r = try PolylensCLI.run(["perplexity", "--model", stories, "--tokenizer", tok512, "--file", text,
                              "--context", "256", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(json["perplexity"] as? Double), 323.1075, accuracy: 0.323)
        XCTAssertEqual(json["tokens"] as? Int, 12544)
        XCTAssertEqual(json["scored"] as? Int, 6223)
        for key in ["stderr", "seconds", "tokens_per_second"] { XCTAssertNotNil(json[key] as? Double, key) }
    }

    func testBadInputsFailWithOneLine() throws {
        let missingTokenizer = try PolylensCLI.run(["generate", "--model", stories, "--prompt", "x"])
        XCTAssertNotEqual(missingTokenizer.status, 0)
        XCTAssertTrue(missingTokenizer.err.contains("--tokenizer"), missingTokenizer.err)
        let missingModel = try PolylensCLI.run(["perplexity", "--model", "/nonexistent.bin", "--tokenizer", tok512, "--file", text])
        XCTAssertNotEqual(missingModel.status, 0)
        XCTAssertTrue(missingModel.err.contains("/nonexistent.bin"), missingModel.err)
        let shortText = try PolylensCLI.run(["perplexity", "--model", stories, "--tokenizer", tok512, "--file", tok512, "--context", "256"])
        XCTAssertNotEqual(shortText.status, 0)
        XCTAssertEqual(shortText.err.split(separator: "\n").count, 1, shortText.err)
    }
}
