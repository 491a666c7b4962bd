import XCTest
@testable import PolylensStore

/// The bit-table bins against the stated edges, and quantiles read back from counts.
final class ActivationBinsTests: XCTestCase {
    /// The bin by the edges as FORMAT.md states them: negative bins (lower, upper], positive [lower, upper).
    func binByEdges(_ a: Float) -> Int {
        let e = ActivationBins.edges
        if a <= 0 { return (1...11).first { a <= e[$0] }.map { $0 - 1 } ?? 11 }
        return (13...39).last { a >= e[$0] } ?? 12
    }

    func testEdgesAreTheStatedHalfOctaves() {
        let e = ActivationBins.edges
        XCTAssertEqual(e.count, ActivationBins.count + 1)
        XCTAssertEqual(Array(e[1...12]), [-0.25, -0.1875, -0.125, -0.09375, -0.0625, -0.046875, -0.03125, -0.0234375,
                                          -0.015625, -0.01171875, -0.0078125, 0])
        XCTAssertEqual(e[13], 0.0078125)
        XCTAssertEqual(e[14], 0.01171875)
        XCTAssertEqual(e[38], 48)
        XCTAssertEqual(e[39], 64)
        XCTAssertEqual(e[40], .infinity)
        XCTAssertEqual(e, e.sorted())
    }

    func testTableAgreesWithTheEdgesOnEveryEdgeAndRandomValues() {
        var values: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude, 1e-30,
                               -0.278_464_5, 1000, .infinity]
        for e in ActivationBins.edges where e.isFinite { values += [e, e.nextUp, e.nextDown] }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<100_000 {
            let magnitude = Float(sign: .plus, exponent: Int.random(in: -20...8, using: &rng), significand: Float.random(in: 1..<2, using: &rng))
            values.append(Bool.random(using: &rng) ? magnitude : -min(magnitude, 0.2785))
        }
        for a in values {
            XCTAssertEqual(ActivationBins.bin(a), binByEdges(a), "a = \(a) (bits \(String(a.bitPattern, radix: 16)))")
        }
        XCTAssertEqual(ActivationBins.bin(0), 11)
        XCTAssertEqual(ActivationBins.bin(-0.0), 11)
        XCTAssertEqual(ActivationBins.bin(.leastNonzeroMagnitude), 12, "every a > 0 is in bins 12…, as LAPE counts it")
    }

    /// Every slot of the top ten bits, at both ends of its mantissa range and beside them.
    func testTableAgreesWithTheEdgesInEverySlot() {
        for slot in UInt32(0)..<1024 {
            for low: UInt32 in [0, 1, 0x1F_FFFF, 0x20_0000, 0x3F_FFFF] {
                let a = Float(bitPattern: slot << 22 | low)
                if !a.isNaN { XCTAssertEqual(ActivationBins.bin(a), binByEdges(a), "a = \(a)") }
            }
        }
        XCTAssertEqual(ActivationBins.bin(.nan), 39)
        XCTAssertEqual(ActivationBins.bin(-Float.nan), 0)
    }

    func testQuantilesFromCountsFollowNumpysRank() {
        // 10 values: 4 in bin 11 ((−2⁻⁷, 0]), 5 in bin 20, 1 in bin 39. numpy's rank for q is (n − 1)·q.
        var counts = [Int64](repeating: 0, count: ActivationBins.count)
        counts[11] = 4; counts[20] = 5; counts[39] = 1
        XCTAssertEqual(HistogramQuantile.bin(0, counts: counts[...]), 11)
        XCTAssertEqual(HistogramQuantile.bin(0.4, counts: counts[...]), 11)    // rank 3.6: element 3, the last of bin 11
        XCTAssertEqual(HistogramQuantile.bin(0.45, counts: counts[...]), 20)   // rank 4.05: element 4
        XCTAssertEqual(HistogramQuantile.bin(0.999, counts: counts[...]), 20)  // rank 8.99
        XCTAssertEqual(HistogramQuantile.bin(1, counts: counts[...]), 39)
        let v = HistogramQuantile.value(0.5, counts: counts[...])!
        XCTAssertGreaterThanOrEqual(v, ActivationBins.edges[20]); XCTAssertLessThan(v, ActivationBins.edges[21])
        XCTAssertEqual(HistogramQuantile.value(1, counts: counts[...], high: 70)!, 70, accuracy: 6)
        XCTAssertNil(HistogramQuantile.value(0.5, counts: [Int64](repeating: 0, count: 40)[...]))
        XCTAssertEqual(HistogramQuantile.countAbove(0, counts: counts[...]), 6)
        XCTAssertEqual(HistogramQuantile.countAbove(64, counts: counts[...]), 1)
    }
}
