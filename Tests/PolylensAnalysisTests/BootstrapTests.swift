import XCTest
@testable import PolylensAnalysis
import PolylensModel

final class BootstrapTests: XCTestCase {
    func testQuantileMatchesNumpyLinear() {
        // numpy.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 2.5, 3.7, 4]
        let v: [Double] = [1, 2, 3, 4]
        XCTAssertEqual(Bootstrap.quantile(v, 0), 1)
        XCTAssertEqual(Bootstrap.quantile(v, 0.25), 1.75, accuracy: 1e-12)
        XCTAssertEqual(Bootstrap.quantile(v, 0.5), 2.5, accuracy: 1e-12)
        XCTAssertEqual(Bootstrap.quantile(v, 0.9), 3.7, accuracy: 1e-12)
        XCTAssertEqual(Bootstrap.quantile(v, 1), 4)
    }

    func testConstantDataGivesAPointInterval() {
        let i = Bootstrap.mean([2.5, 2.5, 2.5])
        XCTAssertEqual(i.estimate, 2.5); XCTAssertEqual(i.low, 2.5); XCTAssertEqual(i.high, 2.5)
    }

    func testTwoValuesHandWorked() {
        // Resampling two values, the mean of a resample is 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4:
        // the 95% interval is [0, 1] and the estimate 0.5.
        let i = Bootstrap.mean([0, 1], resamples: 4000)
        XCTAssertEqual(i.estimate, 0.5)
        XCTAssertEqual(i.low, 0); XCTAssertEqual(i.high, 1)
    }

    func testIntervalCoversTheMeanAndShrinksWithMoreUnits() {
        var rng = SplitMix64(seed: 7)
        func unit() -> Double { Double(rng.next() >> 11) / 9007199254740992 }
        let small = (0..<20).map { _ in unit() }
        let large = (0..<2000).map { _ in unit() }
        let a = Bootstrap.mean(small), b = Bootstrap.mean(large)
        XCTAssertLessThan(a.low, a.estimate); XCTAssertGreaterThan(a.high, a.estimate)
        XCTAssertLessThan(b.high - b.low, a.high - a.low)
        // The standard error of a uniform mean over 2000 units is 0.0065: a 95% interval is ≈ 0.025 wide.
        XCTAssertEqual(b.high - b.low, 0.0253, accuracy: 0.004)
    }

    func testRatioWeightsUnitsBySize() {
        let i = Bootstrap.ratio([10, 1], [10, 1])
        XCTAssertEqual(i.estimate, 1); XCTAssertEqual(i.low, 1); XCTAssertEqual(i.high, 1)
        XCTAssertTrue(Bootstrap.mean([]).estimate.isNaN)
    }

    func testSameSeedSameInterval() {
        let v = (0..<50).map { Double($0 % 7) }
        XCTAssertEqual(Bootstrap.mean(v, seed: 3), Bootstrap.mean(v, seed: 3))
    }
}
