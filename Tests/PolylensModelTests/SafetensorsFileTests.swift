import XCTest
@testable import PolylensModel

final class SafetensorsFileTests: XCTestCase {
    func testReadsPolycodeDirectory() throws {
        let f = try SafetensorsFile(ModelFiles.polycode.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(f.tensors.count, 38)
        XCTAssertEqual(f.metadata["format"], "pt")
        XCTAssertEqual(f.tensorOrder.first, "model.embed_tokens.weight")
        let k = try f.tensor("model.layers.0.self_attn.k_proj.weight")
        XCTAssertEqual(k.shape, [96, 192])
        XCTAssertEqual(k.dtype, .f32)
        XCTAssertEqual(k.data.count, 96 * 192 * 4)
    }

    func testF16AndBF16Values() throws {
        let url = try ModelFiles.tempDirectory(self).appendingPathComponent("x.safetensors")
        let values: [Float] = [1, -2.5, 0.15625, 65504]
        let f16 = values.flatMap { v in withUnsafeBytes(of: Float16(v).bitPattern.littleEndian, Array.init) }
        let bf16 = values.flatMap { v in withUnsafeBytes(of: UInt16(v.bitPattern >> 16).littleEndian, Array.init) }
        try ModelFiles.writeSafetensors(url, [("a", "F16", [2, 2], Data(f16)), ("b", "BF16", [4], Data(bf16))])
        let f = try SafetensorsFile(url)
        XCTAssertEqual(try f.tensor("a").floats(), values)
        XCTAssertEqual(try f.tensor("b").floats(), [1, -2.5, 0.15625, 65280])
    }

    func testTruncated() throws {
        let url = try ModelFiles.tempDirectory(self).appendingPathComponent("t.safetensors")
        try ModelFiles.writeSafetensors(url, [("w", "F32", [4, 4], Data(count: 64))])
        let whole = try Data(contentsOf: url)
        try whole.prefix(whole.count - 4).write(to: url)
        ModelFiles.assertError("\(url.path): truncated: tensor w needs data bytes 0..<64 but the file has 60") {
            try SafetensorsFile(url)
        }
        try whole.prefix(20).write(to: url)
        let headerLength = whole.count - 8 - 64
        ModelFiles.assertError("\(url.path): truncated: safetensors header length \(headerLength) exceeds the 12 bytes after it") {
            try SafetensorsFile(url)
        }
        try whole.prefix(5).write(to: url)
        ModelFiles.assertError("\(url.path): truncated: safetensors header length needs bytes 0..<8 but the file has 5") {
            try SafetensorsFile(url)
        }
    }

    func testBadJSON() throws {
        let url = try ModelFiles.tempDirectory(self).appendingPathComponent("j.safetensors")
        try ModelFiles.writeSafetensors(url, [("w", "F32", [1], Data(count: 4))], header: #"{"w": {"dtype": "F32""#)
        ModelFiles.assertError("\(url.path): not a safetensors file (header is not a JSON object: unexpected end at byte 24)") { try SafetensorsFile(url) }
    }

    func testUnknownDType() throws {
        let url = try ModelFiles.tempDirectory(self).appendingPathComponent("d.safetensors")
        try ModelFiles.writeSafetensors(url, [("w", "I8", [4], Data(count: 4))])
        ModelFiles.assertError("\(url.path): tensor w has unsupported dtype I8 (F32, F16 and BF16 are read)") { try SafetensorsFile(url) }
    }

    func testOverlappingOffsets() throws {
        let url = try ModelFiles.tempDirectory(self).appendingPathComponent("o.safetensors")
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        try ModelFiles.writeSafetensors(url, [("a", "F32", [3], Data(count: 12))], header: header)
        ModelFiles.assertError("\(url.path): tensor b overlaps another tensor (bytes 4..<12)") { try SafetensorsFile(url) }
    }

    func testOffsetsThatDisagreeWithTheShape() throws {
        let url = try ModelFiles.tempDirectory(self).appendingPathComponent("s.safetensors")
        let header = #"{"a":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}}"#
        try ModelFiles.writeSafetensors(url, [("a", "F32", [2], Data(count: 8))], header: header)
        ModelFiles.assertError("\(url.path): tensor a: shape [2, 3] BF16 needs 6 elements but data_offsets span 8 bytes") {
            try SafetensorsFile(url)
        }
    }
}
