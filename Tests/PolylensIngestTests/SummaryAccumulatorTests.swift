import XCTest
import PolylensEngine
import PolylensStore
@testable import PolylensIngest

final class SummaryAccumulatorTests: XCTestCase {
    func testPoolingsMatchDirectComputation() {
        var rng = SplitMix(seed: 11)
        let blocks = 3, dim = 5, tokens = 9
        // Rows: embed, residPost(0), residPost(1), finalNorm. residPost(2) is replaced by the final norm.
        let taps: [TapPoint] = [.embed, .residPost(0), .residPost(1), .finalNorm]
        let h = taps.map { _ in (0..<(tokens * dim)).map { _ in rng.nextFloat() * 2 - 1 } }
        let acc = SummaryAccumulator(blocks: blocks, dim: dim)
        XCTAssertEqual(acc.taps, Set(taps))
        for (row, tap) in taps.enumerated() {
            var position = 0
            for rows in [4, 1, 4] {
                h[row].withUnsafeBufferPointer { v in
                    acc.receive(tap, values: UnsafeBufferPointer(rebasing: v[(position * dim)..<((position + rows) * dim)]),
                                rows: rows, width: dim, firstPosition: position)
                }
                position += rows
            }
        }
        let byPooling = Dictionary(uniqueKeysWithValues: acc.summaries().map { ($0.pooling, $0) })
        XCTAssertEqual(Set(byPooling.keys), Set(Pooling.allCases))
        for (row, _) in taps.enumerated() {
            for i in 0..<dim {
                var weighted = 0.0, plain = 0.0
                for t in 0..<tokens {
                    weighted += Double(t + 1) * Double(h[row][t * dim + i])
                    plain += Double(h[row][t * dim + i])
                }
                let weightSum = Double(tokens * (tokens + 1) / 2)
                XCTAssertEqual(Double(byPooling[.weightedMean]!.layer(row)[row * dim + i]), weighted / weightSum, accuracy: 1e-6)
                XCTAssertEqual(Double(byPooling[.mean]!.layer(row)[row * dim + i]), plain / Double(tokens), accuracy: 1e-6)
                XCTAssertEqual(byPooling[.last]!.layer(row)[row * dim + i], h[row][(tokens - 1) * dim + i])
            }
        }
        XCTAssertEqual(byPooling[.weightedMean]!.layers, blocks + 1)
        XCTAssertEqual(byPooling[.weightedMean]!.dim, dim)
    }
}
