import Foundation
import XCTest
@testable import PolylensStore

final class BlobCodecTests: XCTestCase {
    func testRoundTripsEveryType() throws {
        var rng = SplitMix64(seed: 3)
        let floats = (0..<1000).map { _ in Float(rng.gaussian()) }
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode(floats, as: .f32)).floats(), floats)
        let doubles = (0..<777).map { _ in rng.gaussian() * 1e6 }
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode(doubles)).doubles(), doubles)
        let longs = (0..<500).map { _ in Int64(bitPattern: rng.next()) }
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode(longs)).int64s(), longs)
        let ints = (0..<500).map { _ in Int32(truncatingIfNeeded: rng.next()) }
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode(ints)).int32s(), ints)
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, 65504, 1e-7]
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode(specials, as: .f32)).floats(), specials)
    }

    func testHalfPrecisionKeepsElevenBits() throws {
        var rng = SplitMix64(seed: 5)
        let values = (0..<4096).map { _ in Float(rng.gaussian() * 3) }
        let blob = try BlobCodec.decode(BlobCodec.encode(values, as: .f16, shape: [64, 64]))
        XCTAssertEqual(blob.dtype, .f16)
        XCTAssertEqual(blob.shape, [64, 64])
        for (a, b) in zip(values, try blob.floats()) where abs(a) > 1e-4 {
            XCTAssertLessThanOrEqual(abs(a - b) / abs(a), 1.0 / 2048, "\(a) vs \(b)")
        }
    }

    func testHeaderLayoutIsLittleEndianAsDocumented() throws {
        let data = BlobCodec.encode([Int64(1), 2, 3], shape: [3])
        let bytes = [UInt8](data)
        XCTAssertEqual(Array(bytes[0..<4]), Array("PLB1".utf8))
        XCTAssertEqual(bytes[4], BlobDType.i64.rawValue)
        XCTAssertEqual(bytes[5], 1)
        XCTAssertEqual(Array(bytes[8..<16]), [3, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[16..<24]), [24, 0, 0, 0, 0, 0, 0, 0])
        let header = try BlobCodec.header(data)
        XCTAssertEqual(header.rawBytes, 24)
    }

    func testEmptyTensor() throws {
        let blob = try BlobCodec.decode(BlobCodec.encode([Int32]()))
        XCTAssertEqual(try blob.int32s(), [])
        XCTAssertEqual(blob.shape, [0])
    }

    func testRepetitiveDataCompresses() {
        let counts = [Int64](repeating: 12345, count: 10_000)
        XCTAssertLessThan(BlobCodec.encode(counts).count, 1000)
    }

    func testDecodeErrorsNameTheProblem() {
        let good = BlobCodec.encode((0..<100).map(Double.init))
        func message(_ data: Data) -> String {
            do { _ = try BlobCodec.decode(data); return "decoded" } catch { return "\(error)" }
        }
        var badMagic = good; badMagic[0] = UInt8(ascii: "X")
        XCTAssertTrue(message(badMagic).contains("bad magic"))
        var badSize = good; badSize[16] &+= 8
        XCTAssertTrue(message(badSize).contains("size mismatch"), message(badSize))
        var badCRC = good; badCRC[good.count - 1] ^= 0xFF
        XCTAssertTrue(message(badCRC).contains("CRC mismatch"), message(badCRC))
        XCTAssertTrue(message(good.prefix(10)).contains("truncated"))
        var badType = good; badType[4] = 99
        XCTAssertTrue(message(badType).contains("unknown dtype"))
        var badBlock = good; badBlock[30] ^= 0x5A
        let m = message(badBlock)
        XCTAssertTrue(m.contains("CRC mismatch") || m.contains("corrupt LZ4") || m.contains("size mismatch"), m)
        XCTAssertThrowsError(try BlobCodec.decode(good).floats())
    }
}
