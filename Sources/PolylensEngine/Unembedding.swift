import CBLAS
import Foundation
import PolylensModel

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
            throw EngineError("unembedding: \(matrix.count) values and a final norm of \(finalNorm.count) for vocab \(vocab) × dim \(dim)")
        }
        guard eps >= 0, eps.isFinite else { throw EngineError("unembedding: RMSNorm eps \(eps) is not a non-negative number") }
        self.finalNorm = finalNorm; self.matrix = matrix; self.vocab = vocab; self.dim = dim; self.eps = eps
    }

    /// The model's final norm and output matrix in f32, as the forward pass uses them.
    public init(_ weights: ModelWeights) throws {
        let c = weights.config
        try self.init(finalNorm: try weights.tensor(.finalNorm).floats(), matrix: try weights.tensor(.output).floats(),
                      vocab: c.vocabSize, dim: c.dim, eps: c.normEps)
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
