import CBLAS
import Foundation
import PolylensModel

/// Speed of the forward pass against raw SGEMM on the same shapes, measured in one run (absolute figures
/// drift between machines; the ratio does not). Each figure is the best of `repeats` runs after a warm-up.
public enum EngineBenchmark {
    /// The shapes of Karpathy's TinyStories checkpoints.
    public static let shapes: [String: LlamaConfig] = [
        "stories15M": LlamaConfig(dim: 288, hiddenDim: 768, nLayers: 6, nHeads: 6, nKVHeads: 6, vocabSize: 32000,
                                  maxPositions: 1024, ropeStyle: .interleaved, tiedEmbeddings: true),
        "stories110M": LlamaConfig(dim: 768, hiddenDim: 2048, nLayers: 12, nHeads: 12, nKVHeads: 12, vocabSize: 32000,
                                   maxPositions: 1024, ropeStyle: .interleaved, tiedEmbeddings: true),
    ]

    /// CodeLlama-7B's shape (dim 4096, hidden 11008, 32 heads, vocab 32016) with `layers` layers: the cost of a
    /// layer, and of decoding one layer's state with the logit lens, do not depend on how many layers there are.
    public static func codeLlama7BShape(layers: Int = 32) -> LlamaConfig {
        LlamaConfig(dim: 4096, hiddenDim: 11008, nLayers: layers, nHeads: 32, nKVHeads: 32, vocabSize: 32016,
                    maxPositions: 16384, ropeTheta: 1_000_000, ropeStyle: .halves, tiedEmbeddings: false)
    }

    /// Llama 3.1 8B's shape (BF16 on the hub) with `layers` layers: the per-layer memory is what matters.
    public static func llama8BShape(layers: Int) -> LlamaConfig {
        LlamaConfig(dim: 4096, hiddenDim: 14336, nLayers: layers, nHeads: 32, nKVHeads: 8, vocabSize: 128_256,
                    maxPositions: 131_072, ropeTheta: 500_000,
                    ropeScaling: Llama3RopeScaling(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192),
                    ropeStyle: .halves, tiedEmbeddings: false, bosId: 128_000, eosId: 128_001)
    }

    public struct Result: Codable, Sendable {
        public var shape: String
        public var threads: Int
        public var tokens: Int
        public var prefillTokensPerSecond: Double
        public var prefillGFLOPS: Double
        public var sgemmGFLOPS: Double
        /// prefill GFLOP/s ÷ same-run SGEMM GFLOP/s.
        public var ratio: Double
        public var generatedTokens: Int
        public var generationTokensPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case shape, threads, tokens, ratio
            case prefillTokensPerSecond = "prefill_tokens_per_second", prefillGFLOPS = "prefill_gflops"
            case sgemmGFLOPS = "sgemm_gflops", generatedTokens = "generated_tokens"
            case generationTokensPerSecond = "generation_tokens_per_second"
        }
    }

    /// FLOPs of a prefill of `tokens` tokens without logits, counted as ../shared/docs/ANCHORS.md does:
    /// 2 × non-embedding parameters per token, plus 2 × T × d_model per layer per token for attention.
    public static func prefillFLOPs(_ c: LlamaConfig, tokens t: Int) -> Double {
        let perLayer = 2 * c.dim * c.qDim + 2 * c.dim * c.kvDim + 3 * c.dim * c.hiddenDim
        return Double(t) * (2 * Double(c.nLayers * perLayer) + Double(c.nLayers) * 2 * Double(t * c.dim))
    }

    /// Prefill and SGEMM runs alternate, so both see the same machine (other processes come and go).
    public static func run(shape name: String, config c: LlamaConfig, weights: ModelWeights, threads: Int,
                           tokens: Int, generate: Int, repeats: Int) throws -> Result {
        let model = try Transformer(weights, threads: threads, chunkSize: tokens)
        var rng = SplitMix64(seed: 7)
        let ids = (0..<tokens).map { _ in Int(rng.next() % UInt64(c.vocabSize)) }
        let sgemm = SGEMMRun(c, m: tokens)
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var prefill = Double.infinity, product = Double.infinity, generation = Double.infinity
        for r in 0...max(1, repeats) { // r = 0 warms up
            let p = try seconds { model.reset(); _ = try model.forward(ids) }
            BLAS.setThreads(threads)
            let s = seconds { sgemm.run() }
            if r > 0 { prefill = min(prefill, p); product = min(product, s) }
        }
        for r in 0...max(1, repeats / 2) {
            let g = try seconds {
                model.reset()
                var token = c.bosId ?? 1
                for p in 0..<generate { token = Sampler.argmax(try model.forward([token], startPosition: p, logits: .last)) }
            }
            if r > 0 { generation = min(generation, g) }
        }
        let prefillGFLOPS = prefillFLOPs(c, tokens: tokens) / prefill / 1e9
        let sgemmGFLOPS = sgemm.flops / product / 1e9
        return Result(shape: name, threads: threads, tokens: tokens, prefillTokensPerSecond: Double(tokens) / prefill,
                      prefillGFLOPS: prefillGFLOPS, sgemmGFLOPS: sgemmGFLOPS, ratio: prefillGFLOPS / sgemmGFLOPS,
                      generatedTokens: generate, generationTokensPerSecond: Double(generate) / generation)
    }

    /// Raw cblas_sgemm over the seven products of every layer with M = `m` rows, as a prefill runs them.
    struct SGEMMRun {
        let products: [(n: Int, k: Int)]
        let layers: Int, m: Int
        let x, y: FloatBuffer
        let w: [FloatBuffer]

        init(_ c: LlamaConfig, m: Int) {
            products = [(c.qDim, c.dim), (c.kvDim, c.dim), (c.kvDim, c.dim), (c.dim, c.qDim),
                        (c.hiddenDim, c.dim), (c.hiddenDim, c.dim), (c.dim, c.hiddenDim)]
            layers = c.nLayers
            self.m = m
            let widest = max(c.dim, c.qDim, c.hiddenDim)
            x = FloatBuffer(m * widest)
            y = FloatBuffer(m * widest)
            w = products.map { FloatBuffer($0.n * $0.k) }
            var rng = SplitMix64(seed: 3)
            for b in w + [x] { for i in 0..<b.count { b.pointer[i] = rng.nextUnit() - 0.5 } }
        }

        var flops: Double { Double(layers) * products.reduce(0.0) { $0 + 2 * Double(m * $1.n * $1.k) } }

        func run() {
            for _ in 0..<layers {
                for (i, (n, k)) in products.enumerated() {
                    BLAS.timesTransposed(x.pointer, ldx: k, w[i].pointer, ldw: k, y.pointer, ldy: n, m: m, n: n, k: k)
                }
            }
        }
    }
}
