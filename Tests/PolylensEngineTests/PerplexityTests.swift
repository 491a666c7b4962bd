import XCTest
import PolylensModel
import PolylensTokenizer
@testable import PolylensEngine

/// llama.cpp's llama-perplexity protocol against the figures llama.cpp and transformers report.
final class PerplexityTests: XCTestCase {
    func text() throws -> String { try String(contentsOf: Models.textwrap, encoding: .utf8) }

    /// llama.cpp c392e509, stories260K-f32.gguf, context 256: PPL = 323.1075 ± 18.866 over 49 chunks.
    func testStories260KMatchesLlamaCpp() throws {
        let model = try Transformer(try Llama2cCheckpoint(Models.stories260K), threads: 2)
        let r = try Perplexity.evaluate(model, text: try text(), tokenizer: try TokenizerLoader.load(Models.tok512), context: 256)
        XCTAssertEqual(r.perplexity, 323.1075, accuracy: 323.1075 * 0.001)
        XCTAssertEqual(r.stderr, 18.866, accuracy: 18.866 * 0.01)
        XCTAssertEqual(r.tokens, 49 * 256)
        XCTAssertEqual(r.scored, 49 * 127)
    }

    /// The same through the GGUF file and its own vocabulary (what llama.cpp itself read).
    func testStories260KGGUFMatchesLlamaCpp() throws {
        let url = SharedFiles.url("models/gguf/stories260K-f32.gguf")
        let model = try Transformer(try ModelLoader.load(url), threads: 2)
        let tokenizer = try XCTUnwrap(try TokenizerLoader.forModel(url))
        let r = try Perplexity.evaluate(model, text: try text(), tokenizer: tokenizer, context: 256)
        XCTAssertEqual(r.perplexity, 323.1075, accuracy: 323.1075 * 0.001)
    }

    /// expected.json's perplexity_textwrap16k_ctx256, computed with transformers.
    func testPolycodeMatchesTransformers() throws {
        let model = try Transformer(try ModelLoader.load(Models.polycode), threads: 2)
        let tokenizer = try XCTUnwrap(try TokenizerLoader.forModel(Models.polycode))
        let r = try Perplexity.evaluate(model, text: try text(), tokenizer: tokenizer, context: 256)
        XCTAssertEqual(r.perplexity, 30.61885356407641, accuracy: 30.61885356407641 * 0.001)
        XCTAssertEqual(r.scored, 2667)
    }

    func testProtocolEdges() throws {
        let model = try Transformer(try Llama2cCheckpoint(Models.stories260K), threads: 1)
        // Two chunks of 8: BOS replaces each chunk's first token; positions 4...6 predict tokens 5...7.
        let tokens = (0..<19).map { 3 + $0 * 11 }
        let r = try Perplexity.evaluate(model, tokens: tokens, bos: 1, context: 8)
        XCTAssertEqual(r.tokens, 16)
        XCTAssertEqual(r.scored, 6)
        var nll: [Double] = []
        for c in 0..<2 {
            var chunk = Array(tokens[(c * 8)..<(c * 8 + 8)])
            chunk[0] = 1
            let all = try model.negativeLogLikelihoods(chunk)
            nll += all[4...6]
        }
        // Compared as mean NLL: perplexity here is ≈ 1e12, and chunks of other lengths go through SGEMMs that
        // OpenBLAS blocks differently, so float32 sums agree to ≈ 1e-8 relative, not to the last bit.
        XCTAssertEqual(log(r.perplexity), nll.reduce(0, +) / 6, accuracy: 1e-6)
        XCTAssertThrowsError(try Perplexity.evaluate(model, tokens: tokens, bos: 1, context: 10)) {
            XCTAssertTrue("\($0)".contains("at least 20"), "\($0)")
        }
        XCTAssertThrowsError(try Perplexity.evaluate(model, tokens: tokens, bos: 1, context: 2))
    }
}
