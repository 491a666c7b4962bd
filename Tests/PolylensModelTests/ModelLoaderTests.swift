import XCTest
@testable import PolylensModel

final class ModelLoaderTests: XCTestCase {
    func testRecognisesEachFormatByContent() throws {
        XCTAssertEqual(try ModelLoader.load(ModelFiles.stories260K).format, "llama2c")
        XCTAssertEqual(try ModelLoader.load(ModelFiles.stories260KGGUF).format, "gguf")
        XCTAssertEqual(try ModelLoader.load(ModelFiles.polycode).format, "huggingface")
        let viaFile = try ModelLoader.load(ModelFiles.polycode.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(viaFile.format, "huggingface")
        XCTAssertEqual(viaFile.config.dim, 192)
        XCTAssertEqual(try ModelLoader.load(ModelFiles.polycode.appendingPathComponent("config.json")).config.nLayers, 4)
        // Names do not matter: a GGUF file called .bin is still GGUF.
        let renamed = try ModelFiles.tempDirectory(self).appendingPathComponent("model.bin")
        try FileManager.default.createSymbolicLink(at: renamed, withDestinationURL: ModelFiles.stories260KGGUF)
        XCTAssertEqual(try ModelLoader.load(renamed).format, "gguf")
    }

    func testSummaries() throws {
        let poly = try ModelSummary(try ModelLoader.load(ModelFiles.polycode), path: ModelFiles.polycode.path)
        XCTAssertEqual(poly.parameters, 2_410_176)
        XCTAssertEqual(poly.parametersByDType, [.f32: 2_410_176])
        XCTAssertEqual(poly.fileBytes, 719 + 9_644_752)

        // stories260K: 512·64 embedding + 5 layers of (2·64 + 64·64·2 + 32·64·2 + 3·172·64) + 64, tied.
        let llama2c = try ModelSummary(try ModelLoader.load(ModelFiles.stories260K), path: "")
        XCTAssertEqual(llama2c.parameters, 512 * 64 + 5 * (2 * 64 + 2 * 64 * 64 + 2 * 32 * 64 + 3 * 172 * 64) + 64)
        let gguf = try ModelSummary(try ModelLoader.load(ModelFiles.stories260KGGUF), path: "")
        XCTAssertEqual(gguf.parameters, llama2c.parameters + 512 * 64, "the GGUF carries its own output matrix")
        XCTAssertEqual(gguf.dtypes, [.f32])

        let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(poly)) as? [String: Any]
        XCTAssertEqual(json?["format"] as? String, "huggingface")
        XCTAssertEqual(json?["n_kv_heads"] as? Int, 3)
        XCTAssertEqual(json?["rope_style"] as? String, "halves")
        XCTAssertEqual(json?["parameters"] as? Int, 2_410_176)
        XCTAssertEqual(json?["dtypes"] as? [String], ["f32"])
    }
}
