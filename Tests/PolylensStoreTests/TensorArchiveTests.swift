import Foundation
import XCTest
@testable import PolylensStore

/// The archive layouts byte by byte; tools/python/tests/test_exports.py reads real exports with numpy.load
/// and safetensors.
final class TensorArchiveTests: XCTestCase {
    func testNpyHeaderIsAlignedAndDescribesTheArray() throws {
        let t = ExportTensor("x", [Int32](1...6), dtype: .i32, shape: [2, 3])
        let npy = TensorArchive.npy(t)
        XCTAssertEqual(Array(npy.prefix(8)), [0x93] + Array("NUMPY".utf8) + [1, 0])
        let headerLength = Int(npy[8]) | Int(npy[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        let header = String(decoding: npy[10..<(10 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }"), header)
        XCTAssertTrue(header.hasSuffix("\n"))
        XCTAssertEqual(npy.count, 10 + headerLength + 24)
        let strings = String(decoding: TensorArchive.npy(ExportTensor("s", strings: ["C", "C++"])).prefix(64), as: UTF8.self)
        XCTAssertTrue(strings.contains("'descr': '<U3'") && strings.contains("'shape': (2,)"), strings)
    }

    func testNpzIsAStoredZipWithACentralDirectory() throws {
        let zip = try TensorArchive.npz([ExportTensor("a", [Double](repeating: 0.5, count: 4), dtype: .f64),
                                         ExportTensor("b", strings: ["x"])])
        XCTAssertEqual(Array(zip.prefix(4)), [0x50, 0x4B, 0x03, 0x04])
        let end = zip.suffix(22)
        XCTAssertEqual(Array(end.prefix(4)), [0x50, 0x4B, 0x05, 0x06])
        XCTAssertEqual(end[end.startIndex + 10], 2)  // entries
        XCTAssertNotNil(zip.range(of: Data("a.npy".utf8)))
        XCTAssertNotNil(zip.range(of: Data("b.npy".utf8)))
    }

    func testSafetensorsHeader() throws {
        let data = TensorArchive.safetensors([ExportTensor("w", [Float](repeating: 1, count: 6), dtype: .f32, shape: [2, 3]),
                                              ExportTensor("names", strings: ["C#"])], metadata: ["run": "1"])
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0)
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: data[8..<(8 + n)]) as? [String: Any])
        XCTAssertEqual(header["__metadata__"] as? [String: String], ["names": "[\"C#\"]", "run": "1"])
        let w = try XCTUnwrap(header["w"] as? [String: Any])
        XCTAssertEqual(w["dtype"] as? String, "F32")
        XCTAssertEqual(w["shape"] as? [Int], [2, 3])
        XCTAssertEqual(w["data_offsets"] as? [Int], [0, 24])
        XCTAssertEqual(data.count, 8 + n + 24)
    }
}
