import XCTest
@testable import PolylensModel

final class GGUFFileTests: XCTestCase {
    func testReadsStories260KMetadata() throws {
        let g = try GGUFFile(SharedFiles.url("models/gguf/stories260K-f32.gguf"))
        XCTAssertEqual(g.metadata["general.architecture"]?.string, "llama")
        XCTAssertEqual(g.metadata["llama.embedding_length"]?.int, 64)
        XCTAssertEqual(try g.tensor("token_embd.weight").shape, [512, 64])
    }

    func testWrongMagicNamesTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("notgguf-\(UUID()).gguf")
        try Data("GGUX0000000000000000000000".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try GGUFFile(url)) { e in
            XCTAssertEqual("\(e)", "\(url.path): not a GGUF file (wrong magic)")
        }
    }
}
