import XCTest
import PolylensModel
@testable import PolylensEngine

final class RotaryEmbeddingTests: XCTestCase {
    /// Llama 3.1 8B's numbers: theta 500000, head 128, factor 8, low 1, high 4, original 8192.
    func testLlama3ScalingKeepsHighFrequenciesAndSlowsLowOnes() {
        let scaling = Llama3RopeScaling(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192)
        let plain = RotaryEmbedding.frequencies(headDim: 128, theta: 500_000, scaling: nil)
        let scaled = RotaryEmbedding.frequencies(headDim: 128, theta: 500_000, scaling: scaling)
        XCTAssertEqual(plain[0], 1)
        XCTAssertEqual(plain[1], pow(500_000, -2.0 / 128), accuracy: 1e-15)
        for i in 0..<64 {
            let wavelength = 2 * Double.pi / plain[i]
            if wavelength < 8192 / 4 {
                XCTAssertEqual(scaled[i], plain[i], "pair \(i) (short wavelength) unchanged")
            } else if wavelength > 8192 {
                XCTAssertEqual(scaled[i], plain[i] / 8, accuracy: 1e-18, "pair \(i) (long wavelength) / factor")
            } else {
                XCTAssertLessThan(scaled[i], plain[i])
                XCTAssertGreaterThan(scaled[i], plain[i] / 8)
            }
        }
        // Both regimes occur at these numbers, and the interpolation is continuous at its ends.
        XCTAssertTrue(scaled.indices.contains { scaled[$0] == plain[$0] })
        XCTAssertTrue(scaled.indices.contains { abs(scaled[$0] - plain[$0] / 8) < 1e-18 })
    }

    func testRotationPairsAdjacentOrHalves() {
        var c = LlamaConfig(dim: 8, hiddenDim: 8, nLayers: 1, nHeads: 1, nKVHeads: 1, vocabSize: 4, maxPositions: 8,
                            ropeStyle: .interleaved, tiedEmbeddings: true)
        let interleaved = RotaryEmbedding(c)
        c.ropeStyle = .halves
        let halves = RotaryEmbedding(c)
        let (cos, sin) = interleaved.table(first: 3, count: 1)
        var a: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        // The same pairs in the halves order: (1,2),(3,4),(5,6),(7,8) → [1,3,5,7,2,4,6,8].
        var b: [Float] = [1, 3, 5, 7, 2, 4, 6, 8]
        interleaved.rotate(&a, rows: 0..<1, stride: 8, heads: 1, cos: cos, sin: sin)
        halves.rotate(&b, rows: 0..<1, stride: 8, heads: 1, cos: cos, sin: sin)
        XCTAssertEqual([a[0], a[2], a[4], a[6], a[1], a[3], a[5], a[7]], b)
        // Pair 0 turns by 3 radians (position 3, frequency 1).
        XCTAssertEqual(a[0], Float(1 * Foundation.cos(3.0) - 2 * Foundation.sin(3.0)), accuracy: 1e-6)
        XCTAssertEqual(a[1], Float(1 * Foundation.sin(3.0) + 2 * Foundation.cos(3.0)), accuracy: 1e-6)
    }
}
