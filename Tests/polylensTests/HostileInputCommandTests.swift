import Foundation
import PolylensModel
import XCTest

/// Inputs from issue 14 that gave silently wrong results through the CLI.
final class HostileInputCommandTests: XCTestCase {
    /// `tokenize` replaced invalid UTF-8 in its input with U+FFFD and tokenized text the user never gave.
    func testTokenizeRefusesInvalidUTF8() throws {
        let input = Pipe()
        let (p, out, err) = try PolylensCLI.start(["tokenize", "--tokenizer", SharedFiles.url("models/llama2c/tok512.bin").path],
                                                  stdin: input)
        input.fileHandleForWriting.write(Data("\"ok\"\n\"bad \u{FF}".utf8.prefix(10)) + Data([0xFF, 0xFE, 0x22, 0x0A]))
        try input.fileHandleForWriting.close()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0)
        XCTAssertEqual(e, "Error: stdin line 2: not valid UTF-8\n")
        XCTAssertFalse(o.contains("\u{FFFD}"))
    }

    /// `generate` with a 512-token tokenizer on polycode (4,096 ids) dropped every sampled id above 511.
    func testGenerateRefusesATokenizerSmallerThanTheModel() throws {
        let r = try PolylensCLI.run(["generate", "--model", SharedFiles.url("models/polycode").path,
                                     "--tokenizer", SharedFiles.url("models/llama2c/tok512.bin").path,
                                     "--prompt", "def", "--max-tokens", "4"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.err, "Error: the tokenizer has 512 tokens but the model's vocabulary has 4096: use the model's own tokenizer\n")
    }
}
