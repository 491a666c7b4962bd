import XCTest
import PolylensEngine
@testable import PolylensIngest

final class NeuronStatsAccumulatorTests: XCTestCase {
    /// Against a direct computation, with the rows handed over in uneven chunks; width 1500 spans two
    /// blocks of the inner loop.
    func testMatchesDirectComputation() {
        var rng = SplitMix(seed: 7)
        let layers = 3, neurons = 1500, tokens = 37
        let values = (0..<layers).map { _ in (0..<(tokens * neurons)).map { _ in rng.nextFloat() * 4 - 1 } }
        let acc = NeuronStatsAccumulator(language: "C", layers: layers, neurons: neurons)
        XCTAssertEqual(acc.taps, [.mlpAct(0), .mlpAct(1), .mlpAct(2)])
        XCTAssertTrue(acc.isEmpty)
        for l in 0..<layers {
            var position = 0
            for rows in [1, 16, 5, 15] {
                values[l].withUnsafeBufferPointer { v in
                    let chunk = UnsafeBufferPointer(rebasing: v[(position * neurons)..<((position + rows) * neurons)])
                    acc.receive(.mlpAct(l), values: chunk, rows: rows, width: neurons, firstPosition: position)
                }
                position += rows
            }
        }
        let stats = acc.stats
        XCTAssertEqual(stats.count, layers)
        for l in 0..<layers {
            XCTAssertEqual(stats[l].language, "C"); XCTAssertEqual(stats[l].layer, l); XCTAssertEqual(stats[l].tokens, Int64(tokens))
            for i in 0..<neurons {
                var active: Int64 = 0, sum = 0.0, sumSquares = 0.0, maximum = -Float.infinity
                for t in 0..<tokens {
                    let a = values[l][t * neurons + i]
                    if a > 0 { active += 1 }
                    sum += Double(a); sumSquares += Double(a) * Double(a); maximum = max(maximum, a)
                }
                XCTAssertEqual(stats[l].active[i], active)
                XCTAssertEqual(stats[l].sum[i], sum)          // same order of float64 additions: exact
                XCTAssertEqual(stats[l].sumSquares[i], sumSquares)
                XCTAssertEqual(stats[l].max[i], maximum)
            }
        }
    }

    func testIgnoresOtherTapsAndWidths() {
        let acc = NeuronStatsAccumulator(language: "C", layers: 1, neurons: 4)
        let v: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        v.withUnsafeBufferPointer {
            acc.receive(.residPost(0), values: $0, rows: 2, width: 4, firstPosition: 0)
            acc.receive(.mlpAct(0), values: $0, rows: 1, width: 8, firstPosition: 0)
            acc.receive(.mlpAct(3), values: $0, rows: 2, width: 4, firstPosition: 0)
        }
        XCTAssertTrue(acc.isEmpty)
        XCTAssertEqual(acc.stats[0].max, [-.infinity, -.infinity, -.infinity, -.infinity])
        XCTAssertEqual(acc.stats[0].active, [0, 0, 0, 0])
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
