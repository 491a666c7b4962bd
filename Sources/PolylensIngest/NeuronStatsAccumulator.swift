import PolylensEngine
import PolylensStore

/// Counts, sums and maxima of a = SiLU(gate_proj · x) per MLP neuron over one language's tokens,
/// for every layer (METHODS.md §3). Accumulates in float64, row by row in sequence order, so the
/// result depends only on the tokens and their order, never on how the engine chunks them.
public final class NeuronStatsAccumulator: TapConsumer {
    public let language: String
    public let layers: Int
    public let neurons: Int
    public let taps: Set<TapPoint>
    private var tokens: [Int64]
    private let active: UnsafeMutablePointer<Int64>
    private let sum: UnsafeMutablePointer<Double>
    private let sumSquares: UnsafeMutablePointer<Double>
    private let maximum: UnsafeMutablePointer<Float>

    /// Neurons per block of the inner loop: the block's accumulators stay in L1/L2 while the rows stream by.
    private static let block = 1024

    public init(language: String, layers: Int, neurons: Int) {
        self.language = language; self.layers = layers; self.neurons = neurons
        taps = Set((0..<layers).map { TapPoint.mlpAct($0) })
        tokens = Array(repeating: 0, count: layers)
        let count = layers * neurons
        active = .allocate(capacity: count); active.initialize(repeating: 0, count: count)
        sum = .allocate(capacity: count); sum.initialize(repeating: 0, count: count)
        sumSquares = .allocate(capacity: count); sumSquares.initialize(repeating: 0, count: count)
        maximum = .allocate(capacity: count); maximum.initialize(repeating: -.infinity, count: count)
    }

    deinit {
        active.deallocate(); sum.deallocate(); sumSquares.deallocate(); maximum.deallocate()
    }

    public func receive(_ tap: TapPoint, values: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int) {
        guard case .mlpAct(let layer) = tap, layer >= 0, layer < layers, width == neurons,
              rows > 0, let base = values.baseAddress else { return }
        tokens[layer] += Int64(rows)
        let offset = layer * neurons
        let active = self.active + offset, sum = self.sum + offset
        let sumSquares = self.sumSquares + offset, maximum = self.maximum + offset
        var start = 0
        while start < width {
            let end = min(start + Self.block, width)
            for r in 0..<rows {
                let row = base + r * width
                for i in start..<end {
                    let a = row[i]
                    let d = Double(a)
                    active[i] &+= a > 0 ? 1 : 0
                    sum[i] += d
                    sumSquares[i] += d * d
                    maximum[i] = a > maximum[i] ? a : maximum[i]
                }
            }
            start = end
        }
    }

    /// The statistics so far, one per layer.
    public var stats: [NeuronStats] {
        (0..<layers).map { l in
            let o = l * neurons
            return NeuronStats(language: language, layer: l, tokens: tokens[l],
                               active: Array(UnsafeBufferPointer(start: active + o, count: neurons)),
                               sum: Array(UnsafeBufferPointer(start: sum + o, count: neurons)),
                               sumSquares: Array(UnsafeBufferPointer(start: sumSquares + o, count: neurons)),
                               max: Array(UnsafeBufferPointer(start: maximum + o, count: neurons)))
        }
    }

    /// Whether any token was counted.
    public var isEmpty: Bool { tokens.allSatisfy { $0 == 0 } }
}
