import Foundation

/// What `model-info` reports about a checkpoint.
public struct ModelSummary: Sendable, Encodable {
    public let path: String
    public let format: String
    public let config: LlamaConfig
    /// Weights counted once (a tied output matrix is the embedding).
    public let parameters: Int
    /// Parameters per stored element type.
    public let parametersByDType: [DType: Int]
    /// Bytes of all files the weights come from.
    public let fileBytes: Int

    public init(_ weights: ModelWeights, path: String) throws {
        self.path = path
        format = weights.format
        config = weights.config
        var byType: [DType: Int] = [:]
        for t in weights.config.tensors {
            let v = try weights.tensor(t)
            byType[v.dtype, default: 0] += v.count
        }
        parametersByDType = byType
        parameters = byType.values.reduce(0, +)
        fileBytes = weights.files.reduce(0) { total, url in
            total + ((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0)
        }
    }

    /// The stored types, most parameters first ("bf16, f32").
    public var dtypes: [DType] { parametersByDType.sorted { ($0.value, $1.key.rawValue) > ($1.value, $0.key.rawValue) }.map(\.key) }

    private enum Key: String, CodingKey {
        case path, format, dim, hidden_dim, n_layers, n_heads, n_kv_heads, head_dim, vocab_size, max_positions
        case norm_eps, rope_theta, rope_style, rope_scaling, tied_embeddings, bos_id, eos_id
        case dtypes, parameters, parameters_by_dtype, file_bytes
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(path, forKey: .path)
        try c.encode(format, forKey: .format)
        try c.encode(config.dim, forKey: .dim)
        try c.encode(config.hiddenDim, forKey: .hidden_dim)
        try c.encode(config.nLayers, forKey: .n_layers)
        try c.encode(config.nHeads, forKey: .n_heads)
        try c.encode(config.nKVHeads, forKey: .n_kv_heads)
        try c.encode(config.headDim, forKey: .head_dim)
        try c.encode(config.vocabSize, forKey: .vocab_size)
        try c.encode(config.maxPositions, forKey: .max_positions)
        try c.encode(Double("\(config.normEps)") ?? Double(config.normEps), forKey: .norm_eps)
        try c.encode(config.ropeTheta, forKey: .rope_theta)
        try c.encode(config.ropeStyle.rawValue, forKey: .rope_style)
        if let s = config.ropeScaling {
            try c.encode(ScalingJSON(factor: s.factor, low_freq_factor: s.lowFreqFactor, high_freq_factor: s.highFreqFactor,
                                     original_max_position_embeddings: s.originalMaxPositions), forKey: .rope_scaling)
        } else {
            try c.encodeNil(forKey: .rope_scaling)
        }
        try c.encode(config.tiedEmbeddings, forKey: .tied_embeddings)
        try c.encode(config.bosId, forKey: .bos_id)
        try c.encode(config.eosId, forKey: .eos_id)
        try c.encode(dtypes.map(\.rawValue), forKey: .dtypes)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(Dictionary(uniqueKeysWithValues: parametersByDType.map { ($0.key.rawValue, $0.value) }), forKey: .parameters_by_dtype)
        try c.encode(fileBytes, forKey: .file_bytes)
    }

    /// Hugging Face's spelling of Llama 3.1 scaling.
    private struct ScalingJSON: Encodable {
        var rope_type = "llama3"
        let factor: Double
        let low_freq_factor: Double
        let high_freq_factor: Double
        let original_max_position_embeddings: Int
    }
}
