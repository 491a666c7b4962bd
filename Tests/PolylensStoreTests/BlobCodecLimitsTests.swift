import Foundation
import XCTest
@testable import PolylensStore

/// Blob headers that lie (issue 14): sizes are checked before anything is allocated.
final class BlobCodecLimitsTests: XCTestCase {
    /// A blob with `shape` and `claimed` raw bytes, followed by a real LZ4 block of 64 bytes and a CRC.
    private func lyingBlob(_ shape: [UInt64], claimed: UInt64) -> Data {
        let honest = BlobCodec.encode([Float](repeating: 1, count: 16))
        var out = Data("PLB1".utf8) + Data([BlobDType.f32.rawValue, UInt8(shape.count), 0, 0])
        for d in shape { withUnsafeBytes(of: d.littleEndian) { out += $0 } }
        withUnsafeBytes(of: claimed.littleEndian) { out += $0 }
        return out + honest[(8 + 8 + 8)...]
    }

    /// 4 GB claimed by a blob of a few dozen bytes cost 4.2 GB of RAM before the error; 16 GB aborted.
    func testSizeClaimsBeyondLZ4sRatioAreRefusedBeforeAllocating() throws {
        for claimed in [UInt64(1) << 30, 1 << 32, 1 << 34] {
            let blob = lyingBlob([claimed / 4 / 1024, 1024], claimed: claimed)
            let block = blob.count - 32 - 4
            XCTAssertThrowsError(try BlobCodec.decode(blob)) { e in
                XCTAssertEqual("\(e)", "size mismatch: header claims \(claimed) bytes, a \(block)-byte LZ4 block holds at most \(block * 255 + 24)")
            }
        }
    }

    /// Rank-3 dimensions below 2^31 whose product times 4 is 2^66: a wrapping product matched a claim of 0 bytes.
    func testShapeProductsThatOverflowAreRefused() throws {
        let blob = lyingBlob([1 << 30, 1 << 30, 1 << 4], claimed: 0)
        XCTAssertThrowsError(try BlobCodec.header(blob)) { e in
            XCTAssertEqual("\(e)", "implausible shape [1073741824, 1073741824, 16]: more than 2^63 bytes")
        }
    }

    /// The bound is LZ4's real limit: the most compressible data (zeros) stays under it and decodes.
    func testMostCompressibleDataStaysWithinTheBound() throws {
        for n in [0, 1, 16, 1000, 1 << 20, 1 << 22] {
            let blob = BlobCodec.encode([Float](repeating: 0, count: n))
            let header = try BlobCodec.header(blob)
            let block = blob.count - header.headerBytes - 4
            XCTAssertLessThanOrEqual(header.rawBytes, BlobCodec.maxExpansion(ofBlock: block), "\(n) zeros")
            XCTAssertEqual(try BlobCodec.decode(blob).count, n)
        }
    }
}
