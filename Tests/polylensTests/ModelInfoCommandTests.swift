import XCTest
import PolylensModel

/// Runs the built `polylens` binary, as a user would.
final class ModelInfoCommandTests: XCTestCase {
    func testJSONForPolycode() throws {
        let r = try PolylensCLI.run(["model-info", SharedFiles.url("models/polycode").path, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any]
        XCTAssertEqual(json?["format"] as? String, "huggingface")
        XCTAssertEqual(json?["n_layers"] as? Int, 4)
        XCTAssertEqual(json?["hidden_dim"] as? Int, 512)
        XCTAssertEqual(json?["parameters"] as? Int, 2_410_176)
        XCTAssertEqual(json?["dtypes"] as? [String], ["f32"])
    }

    func testTextForGGUF() throws {
        let r = try PolylensCLI.run(["model-info", SharedFiles.url("models/gguf/stories260K-f32.gguf").path])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("format      gguf\n"), r.out)
        XCTAssertTrue(r.out.contains("heads       8 query, 4 key/value, head dim 8\n"), r.out)
        XCTAssertTrue(r.out.contains("parameters  292,800\n"), r.out)
    }

    func testBadFileIsOneLineOnStderrAndExit1() throws {
        let path = SharedFiles.url("models/llama2c/tok512.bin").path
        let r = try PolylensCLI.run(["model-info", path])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.out, "")
        XCTAssertEqual(r.err, "polylens model-info: \(path): unrecognised model file: no GGUF magic (starts 07 00 00 00), no safetensors header, no plausible llama2.c header\n")
    }
}
