import XCTest
import PolylensModel
import PolylensTokenizer
@testable import PolylensEngine

/// The same weights give the same outputs whichever file holds them.
final class CheckpointFormatTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("polylens-engine-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// Greedy ids from `prompt` until `steps` positions, through the KV cache.
    static func greedy(_ model: Transformer, prompt: [Int], steps: Int) throws -> [Int] {
        model.reset()
        var ids = prompt
        var logits = try model.forward(ids, logits: .last)
        while ids.count <= steps {
            ids.append(Sampler.argmax(logits))
            if ids.count > steps { break }
            logits = try model.forward([ids.last!], startPosition: ids.count - 1, logits: .last)
        }
        return ids
    }

    func testHuggingFaceF32AndBF16GiveTheIdsOfTheLlama2cFile() throws {
        let llama2c = try Llama2cCheckpoint(Models.stories260K)
        let reference = try Transformer(llama2c, threads: 2)
        let prompt = try TokenizerLoader.load(Models.tok512).encode("Once upon a time", addBOS: true, parseSpecial: false)
        let expected = try Self.greedy(reference, prompt: prompt, steps: 200)
        let tokens = Array(expected.prefix(200))
        let referenceLogits = try reference.forward(tokens, logits: .all)
        for dtype in [DType.f32, .bf16] {
            let dir = scratch.appendingPathComponent(dtype.rawValue)
            try HuggingFaceWriter.write(llama2c, to: dir, dtype: dtype)
            let hf = try HuggingFaceCheckpoint(directory: dir)
            XCTAssertEqual(hf.config.ropeStyle, .halves)
            let model = try Transformer(hf, threads: 2)
            let logits = try model.forward(tokens, logits: .all)
            let worst = zip(logits, referenceLogits).map { abs($0 - $1) }.max()!
            print("stories260K as HF \(dtype): largest logit difference from the llama2.c file over 200 positions: \(worst)")
            if dtype == .f32 {
                XCTAssertEqual(try Self.greedy(model, prompt: prompt, steps: 200), expected)
                XCTAssertLessThan(worst, 1e-3)
            } else {
                XCTAssertLessThan(worst, 0.5)
            }
        }
    }
}
