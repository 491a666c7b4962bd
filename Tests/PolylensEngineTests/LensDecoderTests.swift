import XCTest
import PolylensModel
import PolylensTokenizer
@testable import PolylensEngine

final class LensDecoderTests: XCTestCase {
    /// Rows split over several sgemm blocks (and threads) read exactly as in one block.
    func testBlocksAndThreadsDoNotChangeTheReading() throws {
        var rng = SplitMix64(seed: 5)
        func f() -> Float { Float(Int(rng.next() % 2001) - 1000) / 300 }
        let (vocab, dim, positions, layers) = (53, 6, 7, 4)
        let u = try Unembedding(finalNorm: (0..<dim).map { _ in f() }, matrix: (0..<(vocab * dim)).map { _ in f() },
                                vocab: vocab, dim: dim, eps: 1e-5)
        let states = (0..<(layers * positions * dim)).map { _ in f() }
        let next = (0..<positions).map { _ in Int32(rng.next() % UInt64(vocab)) }
        let sets = [TokenSet(name: "low", ids: Array(0..<10)), TokenSet(name: "odd", ids: (0..<Int32(vocab)).filter { $0 % 2 == 1 })]
        let one = states.withUnsafeBufferPointer {
            LensDecoder.decode($0, positions: positions, next: next, unembedding: u, sets: sets, topK: 4, threads: 1)
        }
        let blocks = states.withUnsafeBufferPointer {
            LensDecoder.decode($0, positions: positions, next: next, unembedding: u, sets: sets, topK: 4, threads: 3,
                               maxLogitFloats: 3 * vocab)
        }
        XCTAssertEqual(one.rows, layers * positions)
        XCTAssertTrue(one.isConsistent)
        // The same ids; floats within rounding (BLAS may sum a small block in another order).
        XCTAssertEqual(one.topIds, blocks.topIds)
        XCTAssertEqual(one.correctRank, blocks.correctRank)
        for (a, b) in zip(one.topProbabilities + one.correctProbability + one.entropy + one.setMass,
                          blocks.topProbabilities + blocks.correctProbability + blocks.entropy + blocks.setMass) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        for r in 0..<one.rows {
            XCTAssertLessThanOrEqual(one.setMass[r * 2 + 1], 1.0001)
            XCTAssertGreaterThanOrEqual(one.topProbabilities[r * 4], one.topProbabilities[r * 4 + 3])
        }
    }
}
