import XCTest
@testable import PolylensReport

final class AxisScaleTests: XCTestCase {
    func testLinearTicksAreRoundAndCoverTheData() {
        let fitted = AxisScale.linear(values: [0, 3.2], pixels: (0, 100))
        XCTAssertEqual(fitted.upper, 4, accuracy: 1e-12, "the range widens to a round tick")
        let exact = AxisScale.linear(values: [], fixed: 0...32, pixels: (0, 100))
        XCTAssertEqual(exact.ticks(count: 8).map(\.label), ["0", "5", "10", "15", "20", "25", "30"])
        XCTAssertEqual(exact.pixel(0), 0)
        XCTAssertEqual(exact.pixel(32), 100)
    }

    func testIntegerTicksNeverHalve() {
        let layers = AxisScale.linear(values: [], fixed: 0...4, pixels: (0, 100))
        XCTAssertEqual(layers.ticks(count: 8).map(\.label), ["0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0"])
        XCTAssertEqual(layers.ticks(count: 8, integers: true).map(\.label), ["0", "1", "2", "3", "4"])
    }

    func testProbabilityRangeKeepsDecimals() {
        let scale = AxisScale.linear(values: [], fixed: 0...1, pixels: (100, 0))
        XCTAssertEqual(scale.ticks().map(\.label), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        XCTAssertEqual(scale.pixel(1), 0)
        XCTAssertEqual(scale.pixel(0.5), 50)
    }

    func testLogScaleUsesWholeDecadesAndDropsNonPositive() {
        let scale = AxisScale.log10(values: [0.002, 0.5, 0, -1], pixels: (0, 300))
        XCTAssertEqual(scale.lower, 1e-3, accuracy: 1e-12)
        XCTAssertEqual(scale.upper, 1, accuracy: 1e-12)
        XCTAssertEqual(scale.ticks().map(\.label), ["1e-3", "1e-2", "1e-1", "1"])
        XCTAssertNil(scale.pixel(0))
        XCTAssertEqual(scale.pixel(0.01)!, 100, accuracy: 1e-9)
    }

    func testConstantDataStillGivesARange() {
        let scale = AxisScale.linear(values: [4, 4], pixels: (0, 10))
        XCTAssertLessThan(scale.lower, scale.upper)
    }
}
