import Foundation
import PolylensModel
import XCTest
@testable import PolylensStore

/// Codec v2: the byte-shuffle filter and q8_0 blocks, against goldens from an independent numpy + lz4
/// implementation (tools/make_codec_goldens.py) and GGUF's Q8_0 reader in PolylensModel.
final class BlobCodecV2Tests: XCTestCase {
    struct Golden: Decodable { let name: String; let blob: String; let values: [Double]; let original: [Double]? }

    func goldens() throws -> [Golden] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "codec_v2", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode([Golden].self, from: Data(contentsOf: url))
    }

    func testDecodesNumpyGoldens() throws {
        let all = try goldens()
        XCTAssertEqual(all.count, 5)
        for g in all {
            let data = try XCTUnwrap(Data(base64Encoded: g.blob))
            let blob = try BlobCodec.decode(data)
            XCTAssertEqual((0..<blob.count).map(blob.element), g.values, g.name)
            if blob.dtype == .q8_0 || blob.dtype == .f16 {
                XCTAssertEqual(try blob.floats().map(Double.init), g.values, g.name)
            }
        }
    }

    func testEncodesLikeNumpy() throws {
        for g in try goldens() {
            let data = try XCTUnwrap(Data(base64Encoded: g.blob))
            let h = try BlobCodec.header(data)
            let ours: Data
            switch h.dtype {
            case .f64: ours = BlobCodec.encode(g.values, shape: h.shape, filter: .shuffle)
            case .i64: ours = BlobCodec.encode(g.values.map { Int64($0) }, shape: h.shape, filter: .shuffle)
            case .i32: ours = BlobCodec.encode(g.values.map { Int32($0) }, shape: h.shape, filter: .shuffle)
            case .f16: ours = BlobCodec.encode(g.values.map(Float.init), as: .f16, shape: h.shape, filter: .shuffle)
            case .q8_0: ours = BlobCodec.encode(try XCTUnwrap(g.original).map(Float.init), as: .q8_0, shape: h.shape)
            case .f32: continue
            }
            // Same header and same logical bytes (CRC); LZ4 implementations may pick different matches.
            XCTAssertEqual(try BlobCodec.header(ours), h, g.name)
            XCTAssertEqual(ours.suffix(4), data.suffix(4), "\(g.name): logical bytes differ")
        }
    }

    func testShuffleRoundTripsEveryTypeAndSetsByteSix() throws {
        var rng = SplitMix64(seed: 11)
        let doubles = (0..<1001).map { _ in rng.gaussian() * 1e3 }
        let d = BlobCodec.encode(doubles, filter: .shuffle)
        XCTAssertEqual(d[d.startIndex + 6], 1)
        XCTAssertEqual(try BlobCodec.header(d).filter, .shuffle)
        XCTAssertEqual(try BlobCodec.decode(d).doubles(), doubles)
        let longs = (0..<333).map { _ in Int64(rng.next() % 5000) }
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode(longs, filter: .shuffle)).int64s(), longs)
        let floats = (0..<100).map { _ in Float(rng.gaussian()) }
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode(floats, as: .f32, filter: .shuffle)).floats(), floats)
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode([Int32](), filter: .shuffle)).int32s(), [])
        // Unfiltered blobs keep byte 6 zero, as every version-1 blob.
        XCTAssertEqual(BlobCodec.encode(doubles)[6], 0)
    }

    func testShuffleHelpsCountsAndSums() {
        var rng = SplitMix64(seed: 2)
        let counts = (0..<11008).map { _ in Int64(rng.next() % 200_000) }
        XCTAssertLessThan(BlobCodec.encode(counts, filter: .shuffle).count * 10, BlobCodec.encode(counts).count * 7)
    }

    func testQ8_0MatchesGGUFReaderAndLayout() throws {
        var rng = SplitMix64(seed: 7)
        let values = (0..<96).map { _ in Float(rng.gaussian() * 2) }
        let data = BlobCodec.encode(values, as: .q8_0, shape: [96])
        let h = try BlobCodec.header(data)
        XCTAssertEqual(h.dtype, .q8_0)
        XCTAssertEqual(h.rawBytes, 3 * 34)
        let blob = try BlobCodec.decode(data)
        // GGUF's Q8_0 reader (PolylensModel, checked against llama.cpp's files) reads the same blocks.
        let gguf = blob.bytes.withUnsafeBytes { TensorView(name: "t", dtype: .q8_0, shape: [96], data: $0).floats() }
        XCTAssertEqual(try blob.floats(), gguf)
        for (a, b) in zip(values, gguf) {
            XCTAssertLessThanOrEqual(abs(a - b), values.map(abs).max()! / 127, "\(a) vs \(b)")
        }
    }

    func testQ8_0PadsTheLastBlock() throws {
        let values: [Float] = (0..<45).map { Float($0) - 20 }
        let blob = try BlobCodec.decode(BlobCodec.encode(values, as: .q8_0, shape: [5, 9]))
        XCTAssertEqual(blob.shape, [5, 9])
        XCTAssertEqual(blob.bytes.count, 68)
        XCTAssertEqual(Array(blob.bytes[(34 + 2 + 13)...]), [UInt8](repeating: 0, count: 19))
        let decoded = try blob.floats()
        XCTAssertEqual(decoded.count, 45)
        for (a, b) in zip(values, decoded) { XCTAssertEqual(a, b, accuracy: 0.2) }
    }

    /// Residual streams with "massive activations": one scale per row would zero the other dimensions.
    func testQ8_0SurvivesMassiveActivations() throws {
        var rng = SplitMix64(seed: 13)
        let dim = 4096, rows = 8
        var state = (0..<(rows * dim)).map { _ in Float(rng.gaussian()) }
        for r in 0..<rows { state[r * dim + 1415] = 900; state[r * dim + 2533] = -350 }
        let decoded = try BlobCodec.decode(BlobCodec.encode(state, as: .q8_0, shape: [rows, dim])).floats()
        for r in 0..<rows {
            let a = state[(r * dim)..<((r + 1) * dim)], b = decoded[(r * dim)..<((r + 1) * dim)]
            XCTAssertGreaterThanOrEqual(cosine(a, b), 0.9999)
            // The ordinary dimensions, outside the two massive blocks, keep their direction too.
            let ordinary = (0..<dim).filter { $0 / 32 != 1415 / 32 && $0 / 32 != 2533 / 32 }
            XCTAssertGreaterThanOrEqual(cosine(ordinary.map { a[a.startIndex + $0] }[...], ordinary.map { b[b.startIndex + $0] }[...]), 0.9999)
        }
        // One scale per row (int8 with the row's maximum) loses them: the contrast this codec exists for.
        let rowScale = 900 / Float(127)
        let perRow = state[0..<dim].map { ($0 / rowScale).rounded() * rowScale }
        let ordinary = (0..<dim).filter { $0 != 1415 && $0 != 2533 }
        XCTAssertLessThan(cosine(ordinary.map { state[$0] }[...], ordinary.map { perRow[$0] }[...]), 0.9)
    }

    func testNonFiniteValuesFallBackToF32() throws {
        let values: [Float] = [1, 2, .nan, 4, .infinity]
        let blob = try BlobCodec.decode(BlobCodec.encode(values, as: .q8_0))
        XCTAssertEqual(blob.dtype, .f32)
        XCTAssertEqual(try blob.floats().map { $0.isNaN ? -1 : $0 }, [1, 2, -1, 4, .infinity])
        XCTAssertEqual(try BlobCodec.decode(BlobCodec.encode([1e9, 1], as: .q8_0)).dtype, .f32)  // scale beyond f16
    }

    func testBadV2InputIsNamed() throws {
        func message(_ data: Data) -> String {
            do { _ = try BlobCodec.decode(data); return "decoded" } catch { return "\(error)" }
        }
        let shuffled = BlobCodec.encode((0..<64).map(Double.init), filter: .shuffle)
        var unknownFilter = shuffled; unknownFilter[6] = 9
        XCTAssertEqual(message(unknownFilter), "unknown filter 9")
        var reserved = shuffled; reserved[7] = 1
        XCTAssertTrue(message(reserved).contains("byte 7"), message(reserved))
        var unknownType = shuffled; unknownType[4] = 7
        XCTAssertEqual(message(unknownType), "unknown dtype 7")

        let q = BlobCodec.encode((0..<64).map { Float($0) }, as: .q8_0)
        var filtered = q; filtered[6] = 1
        XCTAssertTrue(message(filtered).contains("q8_0"), message(filtered))
        XCTAssertEqual(message(withScale(q, block: 1, half: 0x7E00)), "q8_0 block 1 has a non-finite scale (nan)")
        XCTAssertEqual(message(withScale(q, block: 0, half: 0xFC00)), "q8_0 block 0 has a non-finite scale (-inf)")
    }

    func testSQLFunctionsReadQ8_0AndShuffled() throws {
        let q = BlobCodec.encode([Float](repeating: 0.5, count: 40) + [Float](repeating: -1, count: 24), as: .q8_0, shape: [2, 32])
        let blob = try BlobCodec.decode(q)
        XCTAssertEqual(blob.element(0), 0.5, accuracy: 0.01)
        XCTAssertEqual(blob.element(63), -1, accuracy: 0.01)
        XCTAssertEqual(blob.count, 64)
    }
}

/// A q8_0 blob with one block's scale replaced by `half` (bit pattern) and its CRC made to match,
/// as a damaged writer would leave it.
func withScale(_ data: Data, block: Int, half: UInt16) -> Data {
    let h = try! BlobCodec.header(data)
    var logical = try! BlobCodec.decode(data).bytes
    logical[block * 34] = UInt8(half & 0xFF)
    logical[block * 34 + 1] = UInt8(half >> 8)
    return logical.withUnsafeBytes { BlobCodec.encode($0, dtype: .q8_0, shape: h.shape, filter: .none) }
}

func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
    var dot = 0.0, na = 0.0, nb = 0.0
    for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
    return dot / (na * nb).squareRoot()
}
