import Foundation

/// A GGUF file of architecture `llama` as a checkpoint: hyperparameters from the `llama.*` metadata,
/// tensors in place (F32, F16, BF16, Q8_0). GGUF keeps Meta's interleaved RoPE layout.
public final class GGUFCheckpoint: ModelWeights, @unchecked Sendable {
    public let config: LlamaConfig
    public let format = "gguf"
    public let gguf: GGUFFile
    public var files: [URL] { [gguf.file.url] }

    public convenience init(_ url: URL) throws { try self.init(try GGUFFile(url)) }

    public init(_ gguf: GGUFFile) throws {
        self.gguf = gguf
        let url = gguf.file.url
        let meta = gguf.metadata
        guard let arch = meta["general.architecture"]?.string else {
            throw ModelFileError(url, "no general.architecture in the metadata")
        }
        guard arch == "llama" else { throw ModelFileError(url, "unsupported architecture \(arch) (llama is read)") }

        func int(_ key: String, default d: Int? = nil) throws -> Int {
            guard let v = meta["llama." + key] else {
                if let d { return d }
                throw ModelFileError(url, "missing metadata llama.\(key)")
            }
            // Some converters store per-layer arrays; a Llama has the same value in every layer.
            let values = v.array ?? [v]
            guard let first = values.first?.int, first > 0, first <= 1 << 30, values.allSatisfy({ $0.int == first }) else {
                throw ModelFileError(url, "metadata llama.\(key) is not one positive integer")
            }
            return first
        }
        func double(_ key: String, default d: Double) throws -> Double {
            guard let v = meta["llama." + key] else { return d }
            guard let x = v.double, x.isFinite, x > 0 else { throw ModelFileError(url, "metadata llama.\(key) is not a positive number") }
            return x
        }

        let dim = try int("embedding_length")
        let heads = try int("attention.head_count")
        let kvHeads = try int("attention.head_count_kv", default: heads)
        guard heads % kvHeads == 0 else {
            throw ModelFileError(url, "llama.attention.head_count \(heads) is not a multiple of head_count_kv \(kvHeads)")
        }
        guard meta["llama.attention.key_length"] != nil || dim % heads == 0 else {
            throw ModelFileError(url, "llama.embedding_length \(dim) is not a multiple of llama.attention.head_count \(heads)")
        }
        let headDim = try int("attention.key_length", default: dim / heads)
        let ropeDims = try int("rope.dimension_count", default: headDim)
        guard ropeDims == headDim else {
            throw ModelFileError(url, "llama.rope.dimension_count \(ropeDims) differs from the head size \(headDim) (partial RoPE is not supported)")
        }
        if let type = meta["llama.rope.scaling.type"]?.string, type != "none" {
            throw ModelFileError(url, "unsupported llama.rope.scaling.type \(type)")
        }
        guard let embedding = gguf.tensors["token_embd.weight"] else { throw ModelFileError(url, "missing tensor token_embd.weight") }
        guard embedding.dims.count == 2 else {
            throw ModelFileError(url, "tensor token_embd.weight has \(embedding.dims.count) dimensions, 2 expected")
        }
        let vocab = embedding.dims[1]
        if meta["llama.vocab_size"] != nil, try int("vocab_size") != vocab {
            throw ModelFileError(url, "llama.vocab_size \(try int("vocab_size")) differs from token_embd.weight's \(vocab) rows")
        }
        let theta = try double("rope.freq_base", default: 10000)
        var config = LlamaConfig(
            dim: dim, hiddenDim: try int("feed_forward_length"), nLayers: try int("block_count"),
            nHeads: heads, nKVHeads: kvHeads, headDim: headDim, vocabSize: vocab,
            maxPositions: try int("context_length", default: 2048),
            normEps: Float(try double("attention.layer_norm_rms_epsilon", default: 1e-5)),
            ropeTheta: theta, ropeScaling: nil, ropeStyle: .interleaved,
            tiedEmbeddings: gguf.tensors["output.weight"] == nil,
            bosId: meta["tokenizer.ggml.bos_token_id"]?.int, eosId: meta["tokenizer.ggml.eos_token_id"]?.int)
        try config.checkLimits(url)
        if gguf.tensors["rope_freqs.weight"] != nil {
            config.ropeScaling = try Self.llama3Scaling(gguf, headDim: headDim, theta: theta)
        }

        for t in config.tensors {
            let name = Self.name(t)
            guard let info = gguf.tensors[name] else { throw ModelFileError(url, "missing tensor \(name)") }
            let shape = Array(info.dims.reversed())
            guard shape == config.shape(of: t) else {
                throw ModelFileError(url, "tensor \(name) has shape \(shape) but the llama.* metadata implies \(config.shape(of: t))")
            }
            if info.dtype == .q8_0, shape.last.map({ $0 % 32 != 0 }) ?? true {
                throw ModelFileError(url, "tensor \(name) is Q8_0 with rows of \(shape.last ?? 0), not a multiple of 32")
            }
            _ = try gguf.tensor(name) // checks the data lies inside the file
        }
        self.config = config
    }

    public func tensor(_ t: LlamaTensor) throws -> TensorView {
        let key = (t == .output && config.tiedEmbeddings) ? .tokenEmbedding : t
        return try gguf.tensor(Self.name(key))
    }

    /// llama.cpp's tensor names.
    public static func name(_ t: LlamaTensor) -> String {
        switch t {
        case .tokenEmbedding: return "token_embd.weight"
        case .finalNorm: return "output_norm.weight"
        case .output: return "output.weight"
        case .attnNorm(let l): return "blk.\(l).attn_norm.weight"
        case .wq(let l): return "blk.\(l).attn_q.weight"
        case .wk(let l): return "blk.\(l).attn_k.weight"
        case .wv(let l): return "blk.\(l).attn_v.weight"
        case .wo(let l): return "blk.\(l).attn_output.weight"
        case .mlpNorm(let l): return "blk.\(l).ffn_norm.weight"
        case .gate(let l): return "blk.\(l).ffn_gate.weight"
        case .up(let l): return "blk.\(l).ffn_up.weight"
        case .down(let l): return "blk.\(l).ffn_down.weight"
        }
    }

    /// llama.cpp stores Llama 3.1's scaling not as numbers but as per-frequency divisors (`rope_freqs.weight`),
    /// computed by its converter with low_freq_factor 1, high_freq_factor 4 and 8192 original positions.
    /// Those parameters (with factor = the largest divisor) are accepted only if they reproduce the tensor.
    static func llama3Scaling(_ gguf: GGUFFile, headDim: Int, theta: Double) throws -> Llama3RopeScaling {
        let url = gguf.file.url
        let t = try gguf.tensor("rope_freqs.weight")
        guard t.count == headDim / 2, t.dtype != .q8_0 else {
            throw ModelFileError(url, "tensor rope_freqs.weight has \(t.count) values, \(headDim / 2) expected")
        }
        let factors = t.floats()
        let scaling = Llama3RopeScaling(factor: Double(factors.max() ?? 1), lowFreqFactor: 1, highFreqFactor: 4,
                                        originalMaxPositions: 8192)
        let expected = scaling.divisors(headDim: headDim, theta: theta)
        guard zip(factors, expected).allSatisfy({ abs(Double($0) - $1) <= 1e-4 * $1 }) else {
            throw ModelFileError(url, "tensor rope_freqs.weight is not Llama 3.1 frequency scaling (unsupported RoPE scaling)")
        }
        return scaling
    }
}
