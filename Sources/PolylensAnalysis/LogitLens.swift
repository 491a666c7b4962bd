import CBLAS
import Foundation
import PolylensStore

/// The model's own reading of the residual stream: its final RMSNorm, then its unembedding.
public struct Unembedding: Sendable {
    public let vocab: Int
    public let dim: Int
    public let finalNorm: [Float]
    /// W_U, vocab × dim row-major (the output embedding, or the tied input embedding).
    public let matrix: [Float]
    public let eps: Float

    public init(finalNorm: [Float], matrix: [Float], vocab: Int, dim: Int, eps: Float) throws {
        guard vocab > 0, dim > 0, finalNorm.count == dim, matrix.count == vocab * dim else {
            throw AnalysisError("unembedding: \(matrix.count) values and a final norm of \(finalNorm.count) for vocab \(vocab) × dim \(dim)")
        }
        guard eps >= 0, eps.isFinite else { throw AnalysisError("unembedding: RMSNorm eps \(eps) is not a non-negative number") }
        self.finalNorm = finalNorm; self.matrix = matrix; self.vocab = vocab; self.dim = dim; self.eps = eps
    }

    /// logits = W_U · RMSNorm(h) for `rows` states, into `out` (rows × vocab); one sgemm for all rows.
    func logits(_ h: UnsafePointer<Float>, rows: Int, normed: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let d = dim
        for r in 0..<rows {
            let x = h + r * d, y = normed + r * d
            var ss = 0.0
            for t in 0..<d { ss += Double(x[t]) * Double(x[t]) }
            let rms = (ss / Double(d) + Double(eps)).squareRoot()
            let inv = rms > 0 ? Float(1 / rms) : 0  // a zero state with eps 0 reads as zero logits, not NaN
            for t in 0..<d { y[t] = x[t] * inv * finalNorm[t] }
        }
        matrix.withUnsafeBufferPointer { w in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(vocab), Int32(d), 1,
                        normed, Int32(d), w.baseAddress, Int32(d), 0, out, Int32(vocab))
        }
    }
}

/// What the lens reads at one (layer, position).
public struct LensReading: Sendable, Equatable {
    /// The top-k tokens, most probable first (ties to the lower id), with their probabilities.
    public var top: [(id: Int32, probability: Float)]
    /// Probability and 1-based rank (1 + the number of tokens with a strictly higher logit) of the correct next token.
    public var correctProbability: Double
    public var correctRank: Int
    public var correctInTopK: Bool
    /// Entropy of p_l in nats.
    public var entropy: Double
    /// Per token set: the probability mass, and whether any top-k token is in the set.
    public var setMass: [Double]
    public var setInTopK: [Bool]

    public static func == (a: LensReading, b: LensReading) -> Bool {
        a.top.map(\.id) == b.top.map(\.id) && a.top.map(\.probability) == b.top.map(\.probability)
            && a.correctProbability == b.correctProbability && a.correctRank == b.correctRank
            && a.correctInTopK == b.correctInTopK && a.entropy == b.entropy && a.setMass == b.setMass
            && a.setInTopK == b.setInTopK
    }
}

/// The per-layer summary over every position of every prompt, each position weighing the same.
public struct LensLayerSummary: Sendable, Equatable {
    public var layer: Int
    public var positions: Int
    public var correctProbability: Double
    /// Fraction of positions whose top-k contains the correct next token.
    public var correctInTopK: Double
    public var meanCorrectRank: Double
    public var entropy: Double
    /// Per token set: mean probability mass, and the fraction of positions with at least one top-k token in the set.
    public var setMass: [Double]
    public var setInTopK: [Double]
}

public struct LensResult: Sendable {
    public var topK: Int
    public var setNames: [String]
    public var layers: [LensLayerSummary]
    /// readings[prompt][layer][position].
    public var readings: [[[LensReading]]]
}

/// The logit lens (METHODS.md §1): p_l = softmax(W_U · RMSNorm_final(h_l)) at every stored layer and position.
public enum LogitLens {
    /// Rows of states decoded per sgemm: bounds the logits buffer (rows × vocab floats).
    static let chunkRows = 256

    /// `progress`, when given, is called after each prompt (the lens of a large vocabulary takes minutes).
    public static func run(_ prompts: [LensPrompt], unembedding u: Unembedding, sets: [TokenSet], topK: Int,
                           progress: (() -> Void)? = nil) throws -> LensResult {
        guard topK >= 1, topK <= u.vocab else { throw AnalysisError("lens: --top must be in 1...\(u.vocab), got \(topK)") }
        guard let first = prompts.first else { throw AnalysisError("lens: no prompts") }
        for s in sets { if let bad = s.ids.first(where: { $0 < 0 || Int($0) >= u.vocab }) {
            throw AnalysisError("lens: token set \(s.name) has id \(bad) outside the vocabulary of \(u.vocab)")
        } }
        var readings: [[[LensReading]]] = []
        for p in prompts {
            let positions = p.positions
            guard p.layers == first.layers, p.dim == u.dim, positions >= 0, p.states.count == p.layers * positions * p.dim else {
                throw AnalysisError("lens: prompt \(p.source)→\(p.target) \(p.itemKey) has \(p.states.count) state values for \(p.layers) layers × \(positions) positions × \(p.dim), model dim \(u.dim)")
            }
            if let bad = p.tokens.first(where: { $0 < 0 || Int($0) >= u.vocab }) {
                throw AnalysisError("lens: prompt \(p.itemKey) has token id \(bad) outside the vocabulary of \(u.vocab)")
            }
            readings.append(read(p, u, sets, topK))
            progress?()
        }
        return LensResult(topK: topK, setNames: sets.map(\.name), layers: summarize(readings, layers: first.layers, sets: sets.count), readings: readings)
    }

    static func read(_ p: LensPrompt, _ u: Unembedding, _ sets: [TokenSet], _ k: Int) -> [[LensReading]] {
        let positions = p.positions, rows = p.layers * positions
        var out = [LensReading?](repeating: nil, count: rows)
        var normed = [Float](repeating: 0, count: chunkRows * u.dim)
        var logits = [Float](repeating: 0, count: chunkRows * u.vocab)
        p.states.withUnsafeBufferPointer { states in
            for start in stride(from: 0, to: rows, by: chunkRows) {
                let n = min(chunkRows, rows - start)
                normed.withUnsafeMutableBufferPointer { nb in
                    logits.withUnsafeMutableBufferPointer { lb in
                        u.logits(states.baseAddress! + start * u.dim, rows: n, normed: nb.baseAddress!, out: lb.baseAddress!)
                    }
                }
                logits.withUnsafeMutableBufferPointer { lb in
                    out.withUnsafeMutableBufferPointer { ob in
                        let obase = ob.baseAddress!, lbase = lb.baseAddress!
                        DispatchQueue.concurrentPerform(iterations: n) { r in
                            let row = start + r, position = row % positions
                            let next = Int(p.tokens[p.firstPosition + position + 1])
                            obase[row] = reading(UnsafeMutableBufferPointer(start: lbase + r * u.vocab, count: u.vocab),
                                                 correct: next, sets: sets, k: k)
                        }
                    }
                }
            }
        }
        return (0..<p.layers).map { l in (0..<positions).map { out[l * positions + $0]! } }
    }

    /// Softmax statistics of one row of logits; the row is overwritten with exp(z - max) on the way.
    static func reading(_ z: UnsafeMutableBufferPointer<Float>, correct: Int, sets: [TokenSet], k: Int) -> LensReading {
        var m = -Float.infinity
        for v in z where v > m { m = v }
        // Top-k by insertion into a short sorted list (k ≪ vocab); ties keep the lower id first.
        var top: [(id: Int32, logit: Float)] = []
        top.reserveCapacity(k + 1)
        for (id, v) in z.enumerated() where top.count < k || v > top[top.count - 1].logit {
            var i = top.count
            while i > 0 && top[i - 1].logit < v { i -= 1 }
            top.insert((Int32(id), v), at: i)
            if top.count > k { top.removeLast() }
        }
        let zc = z[correct]
        var above = 0
        for v in z where v > zc { above += 1 }
        // Z = Σ exp(z - m) and H = ln Z - Σ p (z - m), summed in Float64.
        var sum = 0.0, weighted = 0.0
        for i in z.indices {
            let s = z[i] - m, e = Foundation.exp(s)
            z[i] = e
            sum += Double(e); weighted += Double(e) * Double(s)
        }
        @inline(__always) func prob(_ id: Int) -> Double { Double(z[id]) / sum }
        return LensReading(top: top.map { ($0.id, Float(prob(Int($0.id)))) },
                           correctProbability: prob(correct), correctRank: above + 1,
                           correctInTopK: top.contains { Int($0.id) == correct },
                           entropy: Foundation.log(sum) - weighted / sum,
                           setMass: sets.map { $0.ids.reduce(0.0) { $0 + prob(Int($1)) } },
                           setInTopK: sets.map { s in top.contains { s.contains($0.id) } })
    }

    static func summarize(_ readings: [[[LensReading]]], layers: Int, sets: Int) -> [LensLayerSummary] {
        (0..<layers).map { l in
            let all = readings.flatMap { $0[l] }
            let n = Double(all.count)
            func mean(_ f: (LensReading) -> Double) -> Double { all.isEmpty ? .nan : all.reduce(0) { $0 + f($1) } / n }
            return LensLayerSummary(
                layer: l, positions: all.count,
                correctProbability: mean(\.correctProbability),
                correctInTopK: mean { $0.correctInTopK ? 1 : 0 },
                meanCorrectRank: mean { Double($0.correctRank) },
                entropy: mean(\.entropy),
                setMass: (0..<sets).map { s in mean { $0.setMass[s] } },
                setInTopK: (0..<sets).map { s in mean { $0.setInTopK[s] ? 1 : 0 } })
        }
    }
}
