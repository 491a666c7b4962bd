/// The histogram of a = SiLU(gate_proj · x) of every neuron of one (language, layer) over its counted tokens,
/// in the fixed `ActivationBins`. Histograms of disjoint tokens add, like `NeuronStats`.
public struct ActivationHistogram: Sendable, Equatable {
    public var language: String
    public var layer: Int
    public var neurons: Int
    /// neurons × ActivationBins.count, row-major.
    public var counts: [Int64]

    public init(language: String, layer: Int, neurons: Int, counts: [Int64]? = nil) {
        self.language = language; self.layer = layer; self.neurons = neurons
        self.counts = counts ?? Array(repeating: 0, count: neurons * ActivationBins.count)
    }

    public static var bins: Int { ActivationBins.count }

    /// One neuron's counts.
    public func counts(neuron: Int) -> ArraySlice<Int64> {
        counts[(neuron * Self.bins)..<((neuron + 1) * Self.bins)]
    }

    /// Tokens counted for `neuron` (the same for every neuron of a layer).
    public func tokens(neuron: Int) -> Int64 { counts(neuron: neuron).reduce(0, +) }

    public mutating func add(_ o: ActivationHistogram) {
        precondition(o.counts.count == counts.count, "adding histograms of different widths")
        for i in counts.indices { counts[i] += o.counts[i] }
    }
}

/// Reading values back from one neuron's bin counts.
public enum HistogramQuantile {
    /// The q-quantile estimated from bin counts: the bin holding the element of rank ⌊(n − 1)·q⌋ of the sorted
    /// values (numpy's `quantile(..., method="lower")`), interpolated linearly inside it. numpy's default "linear"
    /// method also interpolates between that element and the next, which may lie bins apart in a sparse tail. The open end bins are
    /// closed at `low` and `high` (e.g. SiLU's minimum and the neuron's stored maximum). nil when empty.
    public static func value(_ q: Double, counts: ArraySlice<Int64>, low: Float = ActivationBins.edges[0],
                             high: Float? = nil) -> Float? {
        let n = counts.reduce(0, +)
        guard n > 0 else { return nil }
        let rank = Double(n - 1) * min(max(q, 0), 1)
        var below: Int64 = 0
        for (b, c) in counts.enumerated() where c > 0 {
            if Double(below + c) > rank.rounded(.down) {
                let edges = ActivationBins.edges
                var lo = b == 0 ? low : edges[b], hi = b == ActivationBins.count - 1 ? (high ?? edges[b] * 2) : edges[b + 1]
                if let high, high < hi, high >= lo { hi = high }
                let within = (rank.rounded(.down) - Double(below) + 0.5) / Double(c)
                if lo > hi { swap(&lo, &hi) }
                return lo + Float(within) * (hi - lo)
            }
            below += c
        }
        return nil
    }

    /// The bin that holds the element of rank ⌊(n − 1)·q⌋ (numpy's method "lower"); nil when empty.
    public static func bin(_ q: Double, counts: ArraySlice<Int64>) -> Int? {
        let n = counts.reduce(0, +)
        guard n > 0 else { return nil }
        let rank = Double(n - 1) * min(max(q, 0), 1)
        var below: Int64 = 0
        for (b, c) in counts.enumerated() {
            below += c
            if Double(below) > rank.rounded(.down) { return b }
        }
        return nil
    }

    /// Tokens with a above the bin edge nearest to `threshold` (exact when `threshold` is an edge; bins 12…
    /// for 0, which equals LAPE's active count).
    public static func countAbove(_ threshold: Float, counts: ArraySlice<Int64>) -> Int64 {
        let first = firstBinAbove(threshold)
        return counts.dropFirst(first).reduce(0, +)
    }

    /// The first bin whose values all lie above the edge nearest to `threshold`.
    public static func firstBinAbove(_ threshold: Float) -> Int {
        let edges = ActivationBins.edges
        var best = 1
        for b in 1..<ActivationBins.count where abs(edges[b] - threshold) < abs(edges[best] - threshold) { best = b }
        return best
    }
}
