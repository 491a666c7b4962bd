import Foundation
import XCTest
import PolylensEngine
import PolylensModel

/// `bench ingest --model shape:NAME --layers N`: a model's layer shape at a layer count this machine holds
/// (CodeLlama-7B's 32 layers do not fit in f32), and the per-layer costs it reports.
final class BenchIngestCommandTests: XCTestCase {
    func testCodeLlamaShape() {
        let c = EngineBenchmark.codeLlama7BShape(layers: 2)
        XCTAssertEqual([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKVHeads, c.vocabSize], [4096, 11008, 2, 32, 32, 32016])
        XCTAssertEqual(EngineBenchmark.codeLlama7BShape().nLayers, 32)
    }

    func testLayersOverrideAShapeAndTheCostsPerLayerAreReported() throws {
        let tokenizer = SharedFiles.url("models/llama2c/tokenizer.model").path
        let r = try PolylensCLI.run(["bench", "ingest", "--model", "shape:stories15M", "--layers", "1", "--tokenizer", tokenizer,
                                     "--lang", "C=/usr/include/stdio.h", "--max-tokens-per-language", "64", "--threads", "1",
                                     "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual(json["layers"] as? Int, 1)
        XCTAssertEqual(json["tokens"] as? Int, 64)
        XCTAssertGreaterThan(json["bare_cpu_microseconds_per_layer_token"] as? Double ?? 0, 0)
        XCTAssertEqual(json["lens_rows"] as? Int, 0, "no prompts, no lens")
    }

    func testBadLayerOptions() throws {
        let tokenizer = SharedFiles.url("models/llama2c/tokenizer.model").path
        for (arguments, message) in [
            (["--model", "shape:codellama-7b", "--layers", "0", "--tokenizer", tokenizer], "--layers must be at least 1, got 0"),
            (["--model", SharedFiles.url("models/polycode").path, "--layers", "2"], "--layers needs --model shape:NAME"),
            (["--model", "shape:codellama-13b", "--tokenizer", tokenizer], "unknown shape 'codellama-13b' (known: codellama-7b, stories110M, stories15M)"),
        ] {
            let r = try PolylensCLI.run(["bench", "ingest"] + arguments + ["--lang", "C=/usr/include/stdio.h"])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.err.contains(message), r.err)
        }
    }
}
