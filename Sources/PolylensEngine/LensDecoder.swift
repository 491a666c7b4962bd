import Foundation
import PolylensTokenizer

/// What the logit lens reads at each row of states (a row = one layer at one position), as columns:
/// the form a Polylens file stores them in (`lens_results`) and the analyses average.
public struct LensColumns: Sendable, Equatable {
    public var rows: Int
    public var topK: Int
    public var sets: Int
    /// rows × topK: the most probable tokens, best first (ties to the lower id), and their probabilities.
    public var topIds: [Int32]
    public var topProbabilities: [Float]
    /// Per row: probability and 1-based rank (1 + tokens with a strictly higher logit) of the correct next token.
    public var correctProbability: [Float]
    public var correctRank: [Int32]
    /// Per row: entropy of p_l in nats.
    public var entropy: [Float]
    /// rows × sets: probability mass of each token set.
    public var setMass: [Float]

    public init(rows: Int, topK: Int, sets: Int, topIds: [Int32], topProbabilities: [Float], correctProbability: [Float],
                correctRank: [Int32], entropy: [Float], setMass: [Float]) {
        self.rows = rows; self.topK = topK; self.sets = sets; self.topIds = topIds; self.topProbabilities = topProbabilities
        self.correctProbability = correctProbability; self.correctRank = correctRank; self.entropy = entropy; self.setMass = setMass
    }

    init(rows: Int, topK: Int, sets: Int) {
        self.init(rows: rows, topK: topK, sets: sets, topIds: .init(repeating: 0, count: rows * topK),
                  topProbabilities: .init(repeating: 0, count: rows * topK), correctProbability: .init(repeating: 0, count: rows),
                  correctRank: .init(repeating: 0, count: rows), entropy: .init(repeating: 0, count: rows),
                  setMass: .init(repeating: 0, count: rows * sets))
    }

    /// Whether the columns' lengths agree with rows, topK and sets (a file may say otherwise).
    public var isConsistent: Bool {
        topIds.count == rows * topK && topProbabilities.count == rows * topK && correctProbability.count == rows
            && correctRank.count == rows && entropy.count == rows && setMass.count == rows * sets
    }
}

/// The logit lens (METHODS.md §1) over f32 states: p_l = softmax(W_U · RMSNorm_final(h_l)) for every row,
/// all rows of a prompt against the unembedding in one sgemm (in row blocks only when the logits would pass
/// `maxLogitFloats`), then per row the softmax statistics, in parallel.
public enum LensDecoder {
    /// Logits held at once: 64 Mi floats (256 MiB). A 7B prompt (33 layers × 40 positions × 32,000) is one block.
    public static let maxLogitFloats = 1 << 26

    /// `states`: rows × dim, row r = layer r / positions at position r % positions; `next[p]` is the correct next
    /// token of position p. Every id must be inside the vocabulary (checked by the callers, which name the input).
    public static func decode(_ states: UnsafeBufferPointer<Float>, positions: Int, next: [Int32], unembedding u: Unembedding,
                              sets: [TokenSet], topK k: Int, threads: Int? = nil, maxLogitFloats: Int = maxLogitFloats) -> LensColumns {
        let rows = positions == 0 ? 0 : states.count / u.dim
        precondition(states.count == rows * u.dim && next.count == positions && k >= 1 && k <= u.vocab, "lens: inconsistent input")
        var out = LensColumns(rows: rows, topK: k, sets: sets.count)
        guard rows > 0, let base = states.baseAddress else { return out }
        let block = max(1, min(rows, maxLogitFloats / u.vocab))
        let normed = UnsafeMutablePointer<Float>.allocate(capacity: block * u.dim)
        let logits = UnsafeMutablePointer<Float>.allocate(capacity: block * u.vocab)
        defer { normed.deallocate(); logits.deallocate() }
        let parts = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        for start in stride(from: 0, to: rows, by: block) {
            let n = min(block, rows - start)
            u.logits(base + start * u.dim, rows: n, normed: normed, out: logits)
            withColumns(&out) { c in
                DispatchQueue.concurrentPerform(iterations: min(parts, n)) { part in
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: u.vocab)
                    defer { scratch.deallocate() }
                    for r in (n * part / min(parts, n))..<(n * (part + 1) / min(parts, n)) {
                        let row = start + r
                        read(UnsafeBufferPointer(start: logits + r * u.vocab, count: u.vocab), scratch: scratch,
                             correct: Int(next[row % positions]), sets: sets, k: k, row: row, into: c)
                    }
                }
            }
        }
        return out
    }

    /// Raw pointers into the columns, so that parallel rows write their own elements without copies.
    struct Pointers: @unchecked Sendable {
        let topIds: UnsafeMutablePointer<Int32>, topProbabilities: UnsafeMutablePointer<Float>
        let correctProbability: UnsafeMutablePointer<Float>, correctRank: UnsafeMutablePointer<Int32>
        let entropy: UnsafeMutablePointer<Float>, setMass: UnsafeMutablePointer<Float>
    }

    private static func withColumns(_ c: inout LensColumns, _ body: (Pointers) -> Void) {
        c.topIds.withUnsafeMutableBufferPointer { ti in
            c.topProbabilities.withUnsafeMutableBufferPointer { tp in
                c.correctProbability.withUnsafeMutableBufferPointer { cp in
                    c.correctRank.withUnsafeMutableBufferPointer { cr in
                        c.entropy.withUnsafeMutableBufferPointer { en in
                            c.setMass.withUnsafeMutableBufferPointer { sm in
                                body(Pointers(topIds: ti.baseAddress!, topProbabilities: tp.baseAddress!,
                                              correctProbability: cp.baseAddress!, correctRank: cr.baseAddress!,
                                              entropy: en.baseAddress!, setMass: sm.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!))
                            }
                        }
                    }
                }
            }
        }
    }

    /// Softmax statistics of one row of logits `z`, with `scratch` (vocab floats) for exp(z − max). One pass finds the
    /// maximum, the tokens above the correct one and the top-k, 16 logits at a time: a block is searched for the
    /// top-k only when one of its logits beats the k-th held (rare after the first blocks), so the pass costs
    /// about what the exponentials do. The exponentials are a call-free loop the optimiser vectorises; sums are
    /// in Float64, four apart so that they do not wait on each other.
    static func read(_ z: UnsafeBufferPointer<Float>, scratch: UnsafeMutablePointer<Float>, correct: Int, sets: [TokenSet],
                     k: Int, row: Int, into c: Pointers) {
        let n = z.count, v = z.baseAddress!
        let zc = v[correct]
        // Top-k by insertion into a short sorted list (k ≪ vocab); ties keep the lower id first.
        var top: [(id: Int32, logit: Float)] = []
        top.reserveCapacity(k + 1)
        var floor = -Float.infinity  // the k-th logit once k are held
        func consider(_ ids: Range<Int>) {
            for id in ids {
                let x = v[id]
                guard top.count < k || x > floor else { continue }
                var i = top.count
                while i > 0 && top[i - 1].logit < x { i -= 1 }
                top.insert((Int32(id), x), at: i)
                if top.count > k { top.removeLast() }
                if top.count == k { floor = top[k - 1].logit }
            }
        }
        // Per lane: the running maximum (NaN never replaces it, as in `if x > m`) and the count above zc.
        typealias Lanes = SIMD16<Float>
        var maxima = Lanes(repeating: -.infinity), aboveLanes = SIMD16<Int32>(repeating: 0)
        let correctLanes = Lanes(repeating: zc)
        let blocks = n / Lanes.scalarCount * Lanes.scalarCount
        for start in stride(from: 0, to: blocks, by: Lanes.scalarCount) {
            let x = UnsafeRawPointer(v + start).loadUnaligned(as: Lanes.self)
            maxima.replace(with: x, where: x .> maxima)
            aboveLanes.replace(with: aboveLanes &+ 1, where: x .> correctLanes)
            if top.count < k || any(x .> Lanes(repeating: floor)) { consider(start..<(start + Lanes.scalarCount)) }
        }
        consider(blocks..<n)
        var m = -Float.infinity, above = Int(aboveLanes.wrappedSum())
        for lane in 0..<Lanes.scalarCount where maxima[lane] > m { m = maxima[lane] }
        for id in blocks..<n {
            if v[id] > m { m = v[id] }
            if v[id] > zc { above += 1 }
        }
        for i in 0..<n { scratch[i] = FastMath.exp(v[i] - m) }
        // Z = Σ exp(z − m) and H = ln Z − Σ p (z − m).
        var sums = SIMD4<Double>(), weightedSums = SIMD4<Double>()
        let quads = n / 4 * 4
        for i in stride(from: 0, to: quads, by: 4) {
            let e = SIMD4<Double>(Double(scratch[i]), Double(scratch[i + 1]), Double(scratch[i + 2]), Double(scratch[i + 3]))
            let d = SIMD4<Double>(Double(v[i] - m), Double(v[i + 1] - m), Double(v[i + 2] - m), Double(v[i + 3] - m))
            sums += e; weightedSums += e * d
        }
        var sum = sums.sum(), weighted = weightedSums.sum()
        for i in quads..<n {
            let e = Double(scratch[i])
            sum += e; weighted += e * Double(v[i] - m)
        }
        let inverse = 1 / sum
        @inline(__always) func prob(_ id: Int) -> Double { Double(scratch[id]) * inverse }
        for (j, t) in top.enumerated() {
            c.topIds[row * k + j] = t.id
            c.topProbabilities[row * k + j] = Float(prob(Int(t.id)))
        }
        c.correctProbability[row] = Float(prob(correct))
        c.correctRank[row] = Int32(above + 1)
        c.entropy[row] = Float(Foundation.log(sum) - weighted * inverse)
        for (s, set) in sets.enumerated() {
            var mass = 0.0
            for id in set.ids { mass += Double(scratch[Int(id)]) }
            c.setMass[row * sets.count + s] = Float(mass * inverse)
        }
    }
}
