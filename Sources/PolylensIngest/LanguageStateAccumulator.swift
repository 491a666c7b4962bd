import PolylensEngine
import PolylensStore

/// Σ h and Σ h² per dimension of the residual stream over one language's tokens, for every hidden-state row
/// (0 = embeddings, l = after block l, L = after the final norm; the same taps as SummaryAccumulator).
/// Float64, row by row in sequence order, so the sums depend only on the tokens and their order and add
/// exactly across batches, resumed runs and merged shards.
public final class LanguageStateAccumulator: TapConsumer {
    public let language: String
    public let layers: Int
    public let dim: Int
    public let taps: Set<TapPoint>
    private var tokens: [Int64]
    private let sum: UnsafeMutablePointer<Double>
    private let sumSquares: UnsafeMutablePointer<Double>

    /// `blocks` is the model's layer count L; there are L + 1 rows.
    public init(language: String, blocks: Int, dim: Int) {
        self.language = language; layers = blocks + 1; self.dim = dim
        taps = SummaryAccumulator.hiddenStateTaps(blocks: blocks)
        tokens = Array(repeating: 0, count: layers)
        sum = .allocate(capacity: layers * dim); sum.initialize(repeating: 0, count: layers * dim)
        sumSquares = .allocate(capacity: layers * dim); sumSquares.initialize(repeating: 0, count: layers * dim)
    }

    deinit { sum.deallocate(); sumSquares.deallocate() }

    public func receive(_ tap: TapPoint, values: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int) {
        guard let layer = SummaryAccumulator.hiddenStateRow(tap, layers: layers), width == dim, rows > 0,
              let base = values.baseAddress else { return }
        tokens[layer] += Int64(rows)
        let s = sum + layer * dim, q = sumSquares + layer * dim
        for r in 0..<rows {
            let h = base + r * width
            for i in 0..<dim {
                let x = Double(h[i])
                s[i] += x
                q[i] += x * x
            }
        }
    }

    /// The sums so far, one per row.
    public var states: [LanguageState] {
        (0..<layers).map { l in
            LanguageState(language: language, layer: l, tokens: tokens[l],
                          sum: Array(UnsafeBufferPointer(start: sum + l * dim, count: dim)),
                          sumSquares: Array(UnsafeBufferPointer(start: sumSquares + l * dim, count: dim)))
        }
    }

    public var isEmpty: Bool { tokens.allSatisfy { $0 == 0 } }
}
