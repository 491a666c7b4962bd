import PolylensEngine
import PolylensStore

/// One document's pooled hidden states (METHODS.md §2): rows 0 = embeddings, l = after block l for
/// l < L, and L = after the final norm (the last entry of Hugging Face's `hidden_states`).
/// Position-weighted mean Σ t·h_t / Σ t with t = 1..T (BOS included), plain mean, and last state.
public final class SummaryAccumulator: TapConsumer {
    public let layers: Int
    public let dim: Int
    public let taps: Set<TapPoint>
    private var weighted: [Double]
    private var plain: [Double]
    private var last: [Float]
    private var lastPosition: [Int]
    private var positions: [Int]

    /// `blocks` is the model's layer count L; summaries have L + 1 rows.
    public init(blocks: Int, dim: Int) {
        layers = blocks + 1; self.dim = dim
        taps = Self.hiddenStateTaps(blocks: blocks)
        weighted = Array(repeating: 0, count: layers * dim)
        plain = Array(repeating: 0, count: layers * dim)
        last = Array(repeating: 0, count: layers * dim)
        lastPosition = Array(repeating: -1, count: layers)
        positions = Array(repeating: 0, count: layers)
    }

    /// The taps of the L + 1 hidden-state rows of a model with `blocks` blocks.
    static func hiddenStateTaps(blocks: Int) -> Set<TapPoint> {
        Set([.embed, .finalNorm] + (0..<max(0, blocks - 1)).map { TapPoint.residPost($0) })
    }

    /// The row (0 = embeddings … layers − 1 = after the final norm) a tap fills, for `layers` = L + 1 rows.
    static func hiddenStateRow(_ tap: TapPoint, layers: Int) -> Int? {
        switch tap {
        case .embed: return 0
        case .residPost(let l) where l >= 0 && l < layers - 2: return l + 1
        case .finalNorm: return layers - 1
        default: return nil
        }
    }

    private func row(_ tap: TapPoint) -> Int? { Self.hiddenStateRow(tap, layers: layers) }

    public func receive(_ tap: TapPoint, values: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int) {
        guard let layer = row(tap), width == dim, rows > 0, let base = values.baseAddress else { return }
        let o = layer * dim
        weighted.withUnsafeMutableBufferPointer { w in
            plain.withUnsafeMutableBufferPointer { p in
                for r in 0..<rows {
                    let h = base + r * width
                    let t = Double(firstPosition + r + 1)
                    for i in 0..<dim {
                        let x = Double(h[i])
                        w[o + i] += t * x
                        p[o + i] += x
                    }
                }
            }
        }
        positions[layer] += rows
        if firstPosition + rows - 1 > lastPosition[layer] {
            lastPosition[layer] = firstPosition + rows - 1
            let h = base + (rows - 1) * width
            for i in 0..<dim { last[o + i] = h[i] }
        }
    }

    /// The three poolings of the positions received, which must be 0..<T for every row.
    public func summaries() -> [DocumentSummary] {
        var weightedMean = [Float](repeating: 0, count: layers * dim)
        var mean = weightedMean
        for l in 0..<layers {
            let t = Double(positions[l])
            let weightSum = t * (t + 1) / 2
            for i in (l * dim)..<((l + 1) * dim) {
                weightedMean[i] = t > 0 ? Float(weighted[i] / weightSum) : 0
                mean[i] = t > 0 ? Float(plain[i] / t) : 0
            }
        }
        return [DocumentSummary(pooling: .weightedMean, layers: layers, dim: dim, values: weightedMean),
                DocumentSummary(pooling: .mean, layers: layers, dim: dim, values: mean),
                DocumentSummary(pooling: .last, layers: layers, dim: dim, values: last)]
    }
}
