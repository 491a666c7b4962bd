import Foundation

/// How RoPE pairs the dimensions of a head. Hugging Face checkpoints permute q/k rows and rotate
/// halves; llama2.c, Meta and GGUF rotate adjacent pairs. The same weights give the same outputs either way.
public enum RopeStyle: String, Sendable { case interleaved, halves }

/// Llama 3.1's frequency scaling (`"rope_type": "llama3"`).
public struct Llama3RopeScaling: Sendable, Equatable {
    public var factor: Double
    public var lowFreqFactor: Double
    public var highFreqFactor: Double
    public var originalMaxPositions: Int
    public init(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositions: Int) {
        self.factor = factor; self.lowFreqFactor = lowFreqFactor
        self.highFreqFactor = highFreqFactor; self.originalMaxPositions = originalMaxPositions
    }
}

extension Llama3RopeScaling {
    /// What each of the headDim/2 RoPE frequencies θ^(-2i/d) is divided by (transformers' `_compute_llama3_parameters`).
    public func divisors(headDim: Int, theta: Double) -> [Double] {
        let old = Double(originalMaxPositions)
        let lowWavelen = old / lowFreqFactor, highWavelen = old / highFreqFactor
        return (0..<(headDim / 2)).map { i in
            let wavelen = 2 * Double.pi * pow(theta, Double(2 * i) / Double(headDim))
            if wavelen < highWavelen { return 1 }
            if wavelen > lowWavelen { return factor }
            let smooth = (old / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor)
            return 1 / ((1 - smooth) / factor + smooth)
        }
    }
}

/// The architecture numbers of a Llama-family checkpoint, whatever file they came from.
public struct LlamaConfig: Sendable, Equatable {
    public var dim: Int
    public var hiddenDim: Int
    public var nLayers: Int
    public var nHeads: Int
    public var nKVHeads: Int
    public var headDim: Int
    public var vocabSize: Int
    public var maxPositions: Int
    public var normEps: Float
    public var ropeTheta: Double
    public var ropeScaling: Llama3RopeScaling?
    public var ropeStyle: RopeStyle
    public var tiedEmbeddings: Bool
    public var bosId: Int?
    public var eosId: Int?

    public init(dim: Int, hiddenDim: Int, nLayers: Int, nHeads: Int, nKVHeads: Int, headDim: Int? = nil,
                vocabSize: Int, maxPositions: Int, normEps: Float = 1e-5, ropeTheta: Double = 10000,
                ropeScaling: Llama3RopeScaling? = nil, ropeStyle: RopeStyle, tiedEmbeddings: Bool,
                bosId: Int? = 1, eosId: Int? = 2) {
        self.dim = dim; self.hiddenDim = hiddenDim; self.nLayers = nLayers; self.nHeads = nHeads
        self.nKVHeads = nKVHeads; self.headDim = headDim ?? dim / nHeads; self.vocabSize = vocabSize
        self.maxPositions = maxPositions; self.normEps = normEps; self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling; self.ropeStyle = ropeStyle; self.tiedEmbeddings = tiedEmbeddings
        self.bosId = bosId; self.eosId = eosId
    }

    public var kvDim: Int { nKVHeads * headDim }
    public var qDim: Int { nHeads * headDim }
}

/// The tensors of a Llama checkpoint, named independently of any file format.
public enum LlamaTensor: Hashable, Sendable, CustomStringConvertible {
    case tokenEmbedding, finalNorm, output
    case attnNorm(Int), wq(Int), wk(Int), wv(Int), wo(Int)
    case mlpNorm(Int), gate(Int), up(Int), down(Int)

    /// Hugging Face names, used in messages whatever the source format.
    public var description: String {
        switch self {
        case .tokenEmbedding: return "model.embed_tokens.weight"
        case .finalNorm: return "model.norm.weight"
        case .output: return "lm_head.weight"
        case .attnNorm(let l): return "model.layers.\(l).input_layernorm.weight"
        case .wq(let l): return "model.layers.\(l).self_attn.q_proj.weight"
        case .wk(let l): return "model.layers.\(l).self_attn.k_proj.weight"
        case .wv(let l): return "model.layers.\(l).self_attn.v_proj.weight"
        case .wo(let l): return "model.layers.\(l).self_attn.o_proj.weight"
        case .mlpNorm(let l): return "model.layers.\(l).post_attention_layernorm.weight"
        case .gate(let l): return "model.layers.\(l).mlp.gate_proj.weight"
        case .up(let l): return "model.layers.\(l).mlp.up_proj.weight"
        case .down(let l): return "model.layers.\(l).mlp.down_proj.weight"
        }
    }
}

/// A loaded checkpoint: its numbers and a way to reach each tensor in place.
public protocol ModelWeights: AnyObject, Sendable {
    var config: LlamaConfig { get }
    /// "llama2c", "gguf" or "huggingface".
    var format: String { get }
    /// The files the weights were read from (hashed for provenance).
    var files: [URL] { get }
    /// The tensor in the file; `.output` resolves to the embedding when tied.
    func tensor(_ t: LlamaTensor) throws -> TensorView
}

extension LlamaConfig {
    /// Every tensor a checkpoint with these numbers holds, in layer order; `.output` only when untied.
    public var tensors: [LlamaTensor] {
        var out: [LlamaTensor] = [.tokenEmbedding]
        for l in 0..<nLayers {
            out += [.attnNorm(l), .wq(l), .wk(l), .wv(l), .wo(l), .mlpNorm(l), .gate(l), .up(l), .down(l)]
        }
        out.append(.finalNorm)
        if !tiedEmbeddings { out.append(.output) }
        return out
    }

    /// The row-major `[out, in]` shape these numbers imply, used to validate files at load.
    public func shape(of t: LlamaTensor) -> [Int] {
        switch t {
        case .tokenEmbedding, .output: return [vocabSize, dim]
        case .finalNorm, .attnNorm, .mlpNorm: return [dim]
        case .wq: return [qDim, dim]
        case .wk, .wv: return [kvDim, dim]
        case .wo: return [dim, qDim]
        case .gate, .up: return [hiddenDim, dim]
        case .down: return [dim, hiddenDim]
        }
    }

    /// Weights counted once (a tied output matrix is the embedding).
    public var parameterCount: Int { tensors.reduce(0) { $0 + shape(of: $1).reduce(1, *) } }
}
