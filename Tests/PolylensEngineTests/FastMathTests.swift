import XCTest
@testable import PolylensEngine

final class FastMathTests: XCTestCase {
    func testExpIsWithinTwoUlpOfLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = FastMath.exp(x), e = Foundation.exp(x)
            worst = max(worst, abs(v - e) / e.ulp)
            x += 0.0137
        }
        XCTAssertLessThanOrEqual(worst, 2)
        XCTAssertEqual(FastMath.exp(-200), Foundation.exp(-87.3), accuracy: 1e-38)
        XCTAssertTrue(FastMath.exp(200).isFinite)
    }

    func testSiLUAndShiftedExpOverArrays() {
        for count in [1, 7, 8, 13, 100] {
            let xs = (0..<count).map { Float($0) * 0.37 - 9 }
            var a = xs
            a.withUnsafeMutableBufferPointer { FastMath.silu($0.baseAddress!, count: count) }
            for (got, x) in zip(a, xs) { XCTAssertEqual(got, x / (1 + Foundation.exp(-x)), accuracy: 1e-6 * max(1, abs(x))) }
            var b = xs
            let sum = b.withUnsafeMutableBufferPointer { FastMath.expShifted($0.baseAddress!, count: count, shift: 2) }
            for (got, x) in zip(b, xs) { XCTAssertEqual(got, Foundation.exp(x - 2), accuracy: 1e-6 * Foundation.exp(x - 2)) }
            XCTAssertEqual(sum, b.reduce(0, +), accuracy: 1e-5 * sum)
        }
    }
}
