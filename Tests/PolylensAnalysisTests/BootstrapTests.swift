import XCTest
@testable import PolylensAnalysis

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
        var rng = SplitMix64Test(seed: 7)
        let small = (0..<20).map { _ in rng.unit() }
        let large = (0..<2000).map { _ in rng.unit() }
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

private struct SplitMix64Test {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / 9007199254740992
    }
}

/// Bootstrap.swift against scipy.stats.bootstrap(method='percentile') on the same real data (the paper's
/// snippets; fixture made once by tools/make_bootstrap_fixture.py with 200000 resamples). The generators
/// differ, so the endpoints agree up to Monte Carlo error: with 40000 resamples here an endpoint's standard
/// error is about 0.4% of the interval's width; 3% allows for it many times over and still catches a wrong
/// quantile rule, a wrong resampling unit or an unweighted ratio (each off by far more).
final class BootstrapScipyTests: XCTestCase {
    private struct Case: Decodable {
        var values: [Double]?, numerator: [Double]?, denominator: [Double]?
        var estimate: Double, low: Double, high: Double
    }
    private struct Fixture: Decodable { var mean: Case, ratio: Case, hits: Case }

    private func fixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/bootstrap_scipy", withExtension: "json"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private func assertAgrees(_ i: BootstrapInterval, _ c: Case, slack: Double = 0, file: StaticString = #filePath, line: UInt = #line) {
        let tolerance = 0.03 * (c.high - c.low) + slack
        XCTAssertEqual(i.estimate, c.estimate, accuracy: 1e-12 * abs(c.estimate), file: file, line: line)
        XCTAssertEqual(i.low, c.low, accuracy: tolerance, "low", file: file, line: line)
        XCTAssertEqual(i.high, c.high, accuracy: tolerance, "high", file: file, line: line)
    }

    func testMeanOfDocumentValues() throws {
        let c = try fixture().mean
        assertAgrees(Bootstrap.mean(try XCTUnwrap(c.values), resamples: 40_000, seed: 1), c)
    }

    func testRatioOfSumsOverPairedUnits() throws {
        let c = try fixture().ratio
        assertAgrees(Bootstrap.ratio(try XCTUnwrap(c.numerator), try XCTUnwrap(c.denominator), resamples: 40_000, seed: 2), c)
    }

    /// 0/1 hits have a discrete bootstrap distribution (steps of 1/60): an endpoint may land one step away.
    func testMeanOfHits() throws {
        let c = try fixture().hits
        let values = try XCTUnwrap(c.values)
        assertAgrees(Bootstrap.mean(values, resamples: 40_000, seed: 3), c, slack: 1.0 / Double(values.count))
    }
}
