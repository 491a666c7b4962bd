import Foundation
import PolylensModel

/// Rotary position embedding: the frequency of each pair of a head's dimensions (with Llama 3.1's scaling),
/// and the rotation of query and key rows in the pairing the checkpoint uses.
struct RotaryEmbedding {
    let headDim: Int
    let style: RopeStyle
    /// One inverse frequency per pair: theta^(-2i/headDim), scaled as Llama 3.1 prescribes.
    let inverseFrequencies: [Double]

    init(_ c: LlamaConfig) {
        headDim = c.headDim
        style = c.ropeStyle
        inverseFrequencies = Self.frequencies(headDim: c.headDim, theta: c.ropeTheta, scaling: c.ropeScaling)
    }

    /// Hugging Face's `_compute_llama3_parameters`: wavelengths longer than the original context / low_freq_factor
    /// are slowed by `factor`, shorter than original / high_freq_factor kept, and those between interpolated.
    static func frequencies(headDim: Int, theta: Double, scaling: Llama3RopeScaling?) -> [Double] {
        (0..<(headDim / 2)).map { i in
            let f = 1 / pow(theta, Double(2 * i) / Double(headDim))
            guard let s = scaling else { return f }
            let original = Double(s.originalMaxPositions)
            let wavelength = 2 * Double.pi / f
            if wavelength < original / s.highFreqFactor { return f }
            if wavelength > original / s.lowFreqFactor { return f / s.factor }
            let smooth = (original / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor)
            return (1 - smooth) * f / s.factor + smooth * f
        }
    }

    /// cos and sin for positions `first..<first+count`, `count × headDim/2` each.
    func table(first: Int, count: Int) -> (cos: [Float], sin: [Float]) {
        let half = headDim / 2
        var c = [Float](repeating: 0, count: count * half), s = c
        for p in 0..<count {
            for i in 0..<half {
                let angle = Double(first + p) * inverseFrequencies[i]
                c[p * half + i] = Float(Foundation.cos(angle))
                s[p * half + i] = Float(Foundation.sin(angle))
            }
        }
        return (c, s)
    }

    /// Rotates `heads` heads in each of `rows` rows (row stride `stride`); row r has the angles of table row r.
    func rotate(_ x: UnsafeMutablePointer<Float>, rows: Range<Int>, stride: Int, heads: Int,
                cos: UnsafePointer<Float>, sin: UnsafePointer<Float>) {
        let half = headDim / 2
        // Interleaved rotates (2i, 2i+1); halves rotates (i, i+half).
        let (step, partner) = style == .interleaved ? (2, 1) : (1, half)
        for r in rows {
            let c = cos + r * half, s = sin + r * half
            for h in 0..<heads {
                let v = x + r * stride + h * headDim
                for i in 0..<half {
                    let a = v[i * step], b = v[i * step + partner]
                    v[i * step] = a * c[i] - b * s[i]
                    v[i * step + partner] = a * s[i] + b * c[i]
                }
            }
        }
    }
}
