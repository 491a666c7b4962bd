import XCTest
@testable import PolylensModel

final class TensorTests: XCTestCase {
    /// The bit-arithmetic half → float conversion agrees with Float16 on all 65,536 patterns.
    func testHalfConversionIsExactForEveryPattern() {
        var mismatches: [UInt16] = []
        for h in UInt16.min...UInt16.max {
            let want = Float(Float16(bitPattern: h)), got = TensorView.float(fromHalf: h)
            if want.isNaN ? !got.isNaN : want.bitPattern != got.bitPattern { mismatches.append(h) }
        }
        XCTAssertEqual(mismatches, [])
    }

    func testCopyFloatsOfF16RangeAndQ8_0Block() {
        let halves: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7C00, 0x3555]
        halves.withUnsafeBytes { raw in
            let t = TensorView(name: "h", dtype: .f16, shape: [5], data: raw)
            var out = [Float](repeating: 0, count: 3)
            t.copyFloats(into: &out, start: 1, count: 3)
            XCTAssertEqual(out, [-2, 0x1p-24, .infinity])
        }
        var block = [UInt8](repeating: 0, count: 34)
        block[0] = 0x00; block[1] = 0x38 // scale 0.5 as f16
        for j in 0..<32 { block[2 + j] = UInt8(bitPattern: Int8(j - 16)) }
        block.withUnsafeBytes { raw in
            let t = TensorView(name: "q", dtype: .q8_0, shape: [32], data: raw)
            XCTAssertEqual(t.floats(), (0..<32).map { Float($0 - 16) * 0.5 })
        }
    }
}
