import PolylensEngine
import PolylensStore

/// Activation histograms and top-k contexts of a = SiLU(gate_proj · x) for one language's documents in a
/// batch (issue 12). Per activation the work is a table lookup and an increment for the histogram and one
/// compare against the neuron's current k-th best value; only activations that reach it (a few per
/// thousand) take the slow path that keeps the k best in `ContextOrder`. The BOS position is counted in
/// the histograms but never a context: its activation is the same in every document.
public final class NeuronActivityAccumulator: TapConsumer {
    public let language: String
    public let layers: Int
    public let neurons: Int
    public let taps: Set<TapPoint>
    /// Contexts kept per neuron (0: histograms only) and the window stored with each.
    public let shape: ContextShape?
    public let histograms: Bool
    private let k: Int
    private let bins = ActivationBins.count
    private let binTable: UnsafeMutablePointer<UInt8>
    private var tokens: [Int64]
    /// layers × neurons × bins.
    private let counts: UnsafeMutablePointer<UInt32>
    /// Per (layer, neuron): the value a candidate must reach (the k-th best so far, −∞ until k are held).
    private let threshold: UnsafeMutablePointer<Float>
    /// Per (layer, neuron): k slots of value, document, position (a heap, worst first), and how many are used.
    private let slotValue: UnsafeMutablePointer<Float>
    private let slotDocument: UnsafeMutablePointer<Int32>
    private let slotPosition: UnsafeMutablePointer<Int32>
    private let used: UnsafeMutablePointer<Int32>
    /// The documents fed so far: batch index, identity (for ties) and tokens (for the windows).
    private var documents: [(index: Int, key: DocumentKey, tokens: [Int32])] = []

    /// Neurons per block of the inner loop: the block's 128 × 40 counts (20 KiB) stay in L1 while the rows stream by.
    private static let block = 128

    public init(language: String, layers: Int, neurons: Int, histograms: Bool, contexts shape: ContextShape?) {
        self.language = language; self.layers = layers; self.neurons = neurons
        self.histograms = histograms; self.shape = shape
        k = shape?.collected ?? 0
        taps = Set((0..<layers).map { TapPoint.mlpAct($0) })
        tokens = Array(repeating: 0, count: layers)
        binTable = .allocate(capacity: 1024)
        binTable.initialize(from: ActivationBins.table, count: 1024)
        let cells = layers * neurons
        counts = .allocate(capacity: histograms ? cells * bins : 0)
        counts.initialize(repeating: 0, count: histograms ? cells * bins : 0)
        threshold = .allocate(capacity: cells); threshold.initialize(repeating: k > 0 ? -.infinity : .infinity, count: cells)
        slotValue = .allocate(capacity: cells * k); slotValue.initialize(repeating: 0, count: cells * k)
        slotDocument = .allocate(capacity: cells * k); slotDocument.initialize(repeating: 0, count: cells * k)
        slotPosition = .allocate(capacity: cells * k); slotPosition.initialize(repeating: 0, count: cells * k)
        used = .allocate(capacity: cells); used.initialize(repeating: 0, count: cells)
    }

    deinit {
        binTable.deallocate(); counts.deallocate(); threshold.deallocate()
        slotValue.deallocate(); slotDocument.deallocate(); slotPosition.deallocate(); used.deallocate()
    }

    /// Announces the document whose tokens the next forward pass delivers.
    public func begin(document index: Int, key: DocumentKey, tokens: [Int]) {
        documents.append((index, key, tokens.map { Int32($0) }))
    }

    public func receive(_ tap: TapPoint, values: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int) {
        guard case .mlpAct(let layer) = tap, layer >= 0, layer < layers, width == neurons,
              rows > 0, let base = values.baseAddress, !documents.isEmpty else { return }
        tokens[layer] += Int64(rows)
        let cell = layer * neurons
        let counts = self.counts + cell * bins, threshold = self.threshold + cell
        let table = UnsafePointer(binTable), bins = self.bins, collect = k > 0, histograms = self.histograms
        let document = Int32(documents.count - 1)
        var start = 0
        while start < width {
            let end = min(start + Self.block, width)
            for r in 0..<rows {
                let row = base + r * width
                if histograms {
                    for i in start..<end {
                        counts[i &* bins &+ ActivationBins.bin(row[i], table: table)] &+= 1
                    }
                }
                let position = firstPosition + r
                guard collect, position > 0 else { continue }
                // Eight compares at once; only a group where one value reaches its threshold is looked at.
                var i = start
                while i + 8 <= end {
                    let v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self)
                    let t = UnsafeRawPointer(threshold + i).loadUnaligned(as: SIMD8<Float>.self)
                    if any(v .>= t) {
                        for j in i..<(i + 8) where row[j] >= threshold[j] {
                            offer(row[j], cell: cell + j, document: document, position: Int32(position))
                        }
                    }
                    i += 8
                }
                for j in i..<end where row[j] >= threshold[j] {
                    offer(row[j], cell: cell + j, document: document, position: Int32(position))
                }
            }
            start = end
        }
    }

    /// Keeps the candidate when it precedes the worst held context (or a slot is free). A neuron's k slots
    /// form a binary heap with the worst context at the root, so displacing it costs about 2·log₂ k compares
    /// instead of a scan of all k; early in a batch, while thresholds are low, that is most of the work.
    private func offer(_ value: Float, cell: Int, document: Int32, position: Int32) {
        let base = cell * k
        let n = Int(used[cell])
        if n < k {
            slotValue[base + n] = value; slotDocument[base + n] = document; slotPosition[base + n] = position
            used[cell] = Int32(n + 1)
            if n + 1 == k {
                for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(base, i) }
                threshold[cell] = slotValue[base]
            }
            return
        }
        guard precedes(value, document, position, slotValue[base], slotDocument[base], slotPosition[base]) else { return }
        slotValue[base] = value; slotDocument[base] = document; slotPosition[base] = position
        siftDown(base, 0)
        threshold[cell] = slotValue[base]
    }

    /// Moves slot `i` down until both its children precede it (the heap's order: worst on top).
    private func siftDown(_ base: Int, _ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1
            guard left < k else { return }
            var child = left
            if left + 1 < k, comesAfter(base + left + 1, base + left) { child = left + 1 }
            guard comesAfter(base + child, base + i) else { return }
            swapSlots(base + i, base + child)
            i = child
        }
    }

    private func swapSlots(_ a: Int, _ b: Int) {
        (slotValue[a], slotValue[b]) = (slotValue[b], slotValue[a])
        (slotDocument[a], slotDocument[b]) = (slotDocument[b], slotDocument[a])
        (slotPosition[a], slotPosition[b]) = (slotPosition[b], slotPosition[a])
    }

    /// Whether slot `a` comes after slot `b` in `ContextOrder`.
    private func comesAfter(_ a: Int, _ b: Int) -> Bool {
        precedes(slotValue[b], slotDocument[b], slotPosition[b], slotValue[a], slotDocument[a], slotPosition[a])
    }

    /// `ContextOrder` within one language: value descending, then sha256, item key, position ascending.
    private func precedes(_ va: Float, _ da: Int32, _ pa: Int32, _ vb: Float, _ db: Int32, _ pb: Int32) -> Bool {
        if va != vb { return va > vb }
        if da != db {
            let ka = documents[Int(da)].key, kb = documents[Int(db)].key
            if ka.sha256 != kb.sha256 { return ka.sha256 < kb.sha256 }
            return (ka.itemKey ?? "") < (kb.itemKey ?? "")
        }
        return pa < pb
    }

    /// Whether any token was counted.
    public var isEmpty: Bool { tokens.allSatisfy { $0 == 0 } }

    /// The histograms so far, one per layer.
    public var activationHistograms: [ActivationHistogram] {
        guard histograms else { return [] }
        return (0..<layers).map { l in
            let o = l * neurons * bins
            return ActivationHistogram(language: language, layer: l, neurons: neurons,
                                       counts: UnsafeBufferPointer(start: counts + o, count: neurons * bins).map { Int64($0) })
        }
    }

    /// Each neuron's best contexts so far per layer, best first, documents as batch indices.
    public var contexts: [NeuronContextTable] {
        guard let shape, k > 0 else { return [] }
        return (0..<layers).map { l in
            var lists: [[NeuronContext]] = []
            lists.reserveCapacity(neurons)
            for i in 0..<neurons {
                let cell = l * neurons + i, base = cell * k
                let order = (0..<Int(used[cell])).sorted {
                    precedes(slotValue[base + $0], slotDocument[base + $0], slotPosition[base + $0],
                             slotValue[base + $1], slotDocument[base + $1], slotPosition[base + $1])
                }
                lists.append(order.map { j in
                    let d = documents[Int(slotDocument[base + j])], p = Int(slotPosition[base + j])
                    let window = ((p - shape.before)...(p + shape.after)).map { d.tokens.indices.contains($0) ? d.tokens[$0] : -1 }
                    return NeuronContext(value: slotValue[base + j], document: Int64(d.index), position: Int32(p), tokens: window)
                })
            }
            return NeuronContextTable(scope: language, layer: l, k: k, before: shape.before, after: shape.after, contexts: lists)
        }
    }
}
