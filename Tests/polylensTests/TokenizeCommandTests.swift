import XCTest
import PolylensModel

/// Runs the built `polylens tokenize` as a user would: stdin lines in, stdout lines and exit status out.
final class TokenizeCommandTests: XCTestCase {
    struct Result { let status: Int32; let stdout: String; let stderr: String }

    func run(_ args: [String], stdin: String) throws -> Result {
        let r = try PolylensCLI.run(["tokenize"] + args, stdin: stdin)
        return Result(status: r.status, stdout: r.out, stderr: r.err)
    }

    func testEncodeAndDecodeLlama2cPrompts() throws {
        let bin = SharedFiles.url("models/llama2c/tokenizer.bin").path
        let r = try run(["--tokenizer", bin, "--add-bos"], stdin: "\"I believe the meaning of life is\"\n\"\"\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "[1,306,4658,278,6593,310,2834,338]\n[1]\n")
        let d = try run(["--tokenizer", bin, "--decode"], stdin: "[1,306,4658,278,6593,310,2834,338]\n[243,162,155,131,13]\n")
        XCTAssertEqual(d.status, 0, d.stderr)
        XCTAssertEqual(d.stdout, "\"I believe the meaning of life is\"\n\"😀\\n\"\n")
    }

    /// Llama 3 ranks: tiktoken's ids (from the tiktoken package), special text only with --parse-special.
    func testLlama3Ranks() throws {
        let ranks = SharedFiles.url("models/llama3/tokenizer.model").path
        let r = try run(["--tokenizer", ranks, "--parse-special"],
                        stdin: "\"for (int i = 0; i < n; i++) {\\n    x += i;\\n}\"\n\"<|begin_of_text|>def\"\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "[2000,320,396,602,284,220,15,26,602,366,308,26,602,2516,341,262,865,1447,602,280,92]\n[128000,755]\n")
    }

    func testModelDirectoryAndSpecialTokens() throws {
        let r = try run(["--tokenizer", SharedFiles.url("models/polycode").path, "--parse-special"], stdin: "\"<s>def f():\"\n")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("using tokenizer.model"), r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("[1,"), r.stdout)
    }

    func testBadInputIsAOneLineErrorAndNonZeroExit() throws {
        let model = SharedFiles.url("models/llama2c/tokenizer.model").path
        let notJSON = try run(["--tokenizer", model], stdin: "hello\n")
        XCTAssertNotEqual(notJSON.status, 0)
        XCTAssertTrue(notJSON.stderr.contains("stdin line 1: not a JSON string"), notJSON.stderr)
        let badId = try run(["--tokenizer", model, "--decode"], stdin: "[1]\n[32000]\n")
        XCTAssertNotEqual(badId.status, 0)
        XCTAssertTrue(badId.stderr.contains("stdin line 2: id 32000 is outside the vocabulary of 32000"), badId.stderr)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("polylens-tokcli-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cut = dir.appendingPathComponent("cut.model")
        try Data(contentsOf: URL(fileURLWithPath: model)).prefix(100_000).write(to: cut)
        let empty = dir.appendingPathComponent("empty.model")
        try Data().write(to: empty)
        for (file, problem) in [(cut, "truncated"), (empty, "empty file")] {
            let r = try run(["--tokenizer", file.path], stdin: "\"x\"\n")
            XCTAssertNotEqual(r.status, 0)
            XCTAssertEqual(r.stdout, "")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(file.path + ": ") && r.stderr.contains(problem), r.stderr)
        }
    }
}
