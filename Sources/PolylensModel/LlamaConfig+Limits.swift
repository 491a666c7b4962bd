import Foundation

extension LlamaConfig {
    /// Upper bounds on a checkpoint's numbers, checked before anything is sized from them: a 1 MB file
    /// claiming 2^30 layers must fail in one line, not reserve 20 GB for its tensor list. Each bound is
    /// far above any released Llama (405B: dim 16384, 126 layers, 128 heads; Llama 4: 10M positions).
    public enum Limits {
        public static let layers = 1024
        public static let dim = 1 << 16
        public static let hiddenDim = 1 << 20
        public static let heads = 1024
        public static let headDim = 1 << 12
        public static let vocabulary = 1 << 24
        public static let positions = 1 << 24
    }

    /// Throws naming the first number out of range (`url` is the file it came from).
    public func checkLimits(_ url: URL) throws {
        let bounds: [(String, Int, Int)] = [
            ("layers", nLayers, Limits.layers), ("dim", dim, Limits.dim), ("hidden_dim", hiddenDim, Limits.hiddenDim),
            ("heads", nHeads, Limits.heads), ("kv_heads", nKVHeads, nHeads), ("head_dim", headDim, Limits.headDim),
            ("vocab_size", vocabSize, Limits.vocabulary), ("max_positions", maxPositions, Limits.positions),
        ]
        for (name, value, limit) in bounds where value < 1 || value > limit {
            throw ModelFileError(url, "\(name) \(value) is out of range (1…\(limit))")
        }
        // Float(1e300) is infinity: an epsilon that large would turn every norm into zeros.
        guard normEps.isFinite, normEps > 0, normEps <= 1 else {
            throw ModelFileError(url, "rms_norm_eps \(normEps) is out of range (0…1]")
        }
        guard ropeTheta.isFinite, ropeTheta > 0, ropeTheta <= 1e12 else {
            throw ModelFileError(url, "rope_theta \(ropeTheta) is out of range (0…1e12]")
        }
        if let s = ropeScaling {
            guard [s.factor, s.lowFreqFactor, s.highFreqFactor].allSatisfy({ $0.isFinite && $0 > 0 && $0 <= 1e6 }),
                  s.originalMaxPositions <= Limits.positions else {
                throw ModelFileError(url, "llama3 rope scaling parameters are out of range")
            }
        }
    }
}
