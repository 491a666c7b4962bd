/// The hidden-state summary of one language at one layer (table language_states): sums over the language's
/// counted tokens of the residual stream h and of h², per dimension, in float64 so that the sums of disjoint
/// documents add exactly (resumed ingests, merged shards). The centroid is sum / tokens.
public struct LanguageState: Sendable, Equatable {
    public var language: String
    /// 0 = embeddings, l = after block l, L = after the final norm (as summaries' rows).
    public var layer: Int
    /// Tokens counted, BOS included.
    public var tokens: Int64
    public var sum: [Double]
    public var sumSquares: [Double]

    public init(language: String, layer: Int, tokens: Int64, sum: [Double], sumSquares: [Double]) {
        self.language = language; self.layer = layer; self.tokens = tokens; self.sum = sum; self.sumSquares = sumSquares
    }

    public var dim: Int { sum.count }

    /// The language centroid (zeros when no token was counted).
    public var mean: [Double] { tokens == 0 ? sum.map { _ in 0 } : sum.map { $0 / Double(tokens) } }

    /// Per-dimension population variance, clamped at zero against rounding.
    public var variance: [Double] {
        guard tokens > 0 else { return sum.map { _ in 0 } }
        let n = Double(tokens)
        return zip(sum, sumSquares).map { s, q in Swift.max(q / n - (s / n) * (s / n), 0) }
    }

    public mutating func add(_ o: LanguageState) {
        precondition(o.dim == dim, "adding language states of different widths")
        tokens += o.tokens
        for i in 0..<dim { sum[i] += o.sum[i]; sumSquares[i] += o.sumSquares[i] }
    }
}

/// Per-(run, language, layer) sums that add over disjoint documents: neuron statistics and language states.
protocol LayerSums {
    var language: String { get }
    var layer: Int { get }
    /// Elements per vector, and what they are called in messages.
    var width: Int { get }
    static var unit: String { get }
    mutating func add(_ o: Self)
}

extension NeuronStats: LayerSums {
    var width: Int { neurons }
    static var unit: String { "neurons" }
}

extension LanguageState: LayerSums {
    var width: Int { dim }
    static var unit: String { "hidden dimensions" }
}
