import XCTest
import PolylensModel
import PolylensTokenizer
@testable import PolylensEngine

/// Greedy generation on real checkpoints against the outputs of their reference implementations.
final class GeneratorTests: XCTestCase {
    static let gguf = SharedFiles.url("models/gguf/stories260K-f32.gguf")
    static let expected200 = SharedFiles.url("models/llama2c/stories260K.expected-greedy-200.txt")

    /// llama2.c's `run stories260K.bin -z tok512.bin -t 0.0 -n 200` prints exactly this (final newline stripped).
    func testStories260KGreedyIsByteEqualToLlama2c() throws {
        let model = try Transformer(try Llama2cCheckpoint(Models.stories260K), threads: 2)
        let tokenizer = try TokenizerLoader.load(Models.tok512)
        var sampler = Sampler(temperature: 0)
        var printed = ""
        let ids = try Generator(model: model, tokenizer: tokenizer)
            .generate(prompt: "Once upon a time", steps: 200, sampler: &sampler) { printed += $0 }
        XCTAssertEqual(ids.count, 201)
        XCTAssertEqual(Array(printed.utf8), Array(try Data(contentsOf: Self.expected200)))
    }

    /// llama.cpp's conversion of the same checkpoint to GGUF, with the vocabulary it embeds.
    func testGGUFGivesTheSameIds() throws {
        let reference = try Transformer(try Llama2cCheckpoint(Models.stories260K), threads: 2)
        let gguf = try ModelLoader.load(Self.gguf)
        XCTAssertEqual(gguf.format, "gguf")
        let model = try Transformer(gguf, threads: 2)
        let tokenizer = try XCTUnwrap(try TokenizerLoader.forModel(Self.gguf))
        var a = Sampler(), b = Sampler()
        let expected = try Generator(model: reference, tokenizer: try TokenizerLoader.load(Models.tok512))
            .generate(prompt: "Once upon a time", steps: 200, sampler: &a)
        let ids = try Generator(model: model, tokenizer: tokenizer).generate(prompt: "Once upon a time", steps: 200, sampler: &b)
        XCTAssertEqual(ids, expected)
        let logits = try model.forward(Array(ids.prefix(200)), logits: .all)
        let referenceLogits = try reference.forward(Array(ids.prefix(200)), logits: .all)
        XCTAssertLessThan(maxRelativeDifference(logits, referenceLogits), 1e-4)
    }

    /// polycode (HF, grouped-query attention, rotate-half RoPE) against transformers' greedy `generate`.
    func testPolycodeGreedyIdsEqualTransformers() throws {
        let model = try Transformer(try ModelLoader.load(Models.polycode), threads: 2)
        let tokenizer = try XCTUnwrap(try TokenizerLoader.forModel(Models.polycode))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: Models.polycode.appendingPathComponent("expected.json")))
        let cases = try XCTUnwrap((json as? [String: Any])?["greedy"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 3)
        for c in cases {
            let prompt = try XCTUnwrap(c["prompt"] as? String), expected = try XCTUnwrap(c["ids_with_bos"] as? [Int])
            var sampler = Sampler()
            let ids = try Generator(model: model, tokenizer: tokenizer)
                .generate(prompt: prompt, steps: expected.count - 1, sampler: &sampler)
            XCTAssertEqual(ids, expected, prompt)
        }
    }

    func testSeededSamplingIsReproducibleAndDiffersFromGreedy() throws {
        let model = try Transformer(try Llama2cCheckpoint(Models.stories260K), threads: 2)
        let generator = Generator(model: model, tokenizer: try TokenizerLoader.load(Models.tok512))
        var s1 = Sampler(temperature: 1, seed: 7), s2 = Sampler(temperature: 1, seed: 7), greedy = Sampler()
        let a = try generator.generate(prompt: "Once upon a time", steps: 60, sampler: &s1)
        let b = try generator.generate(prompt: "Once upon a time", steps: 60, sampler: &s2)
        let g = try generator.generate(prompt: "Once upon a time", steps: 60, sampler: &greedy)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, g)
    }

    func testStepsShorterThanThePromptTruncateIt() throws {
        let model = try Transformer(try Llama2cCheckpoint(Models.stories260K), threads: 1)
        var sampler = Sampler()
        let ids = try Generator(model: model, tokenizer: try TokenizerLoader.load(Models.tok512))
            .generate(prompt: "Once upon a time", steps: 2, sampler: &sampler)
        XCTAssertEqual(ids, [1, 403, 407])
    }
}
