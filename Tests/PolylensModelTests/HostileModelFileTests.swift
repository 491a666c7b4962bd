import XCTest
@testable import PolylensModel

/// Crafted model files from issue 14 (each found by a probe of the release binary): every one must end in a
/// one-line error naming the file, quickly and without a large allocation, never in a crash, a hang or a
/// silently wrong model.
final class HostileModelFileTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try ModelFiles.tempDirectory(self) }

    private func write(_ data: Data, _ name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// Asserts `body` fails with a ModelFileError within `seconds` (a regression would hang or blow up instead).
    private func assertFailsFast(_ body: () throws -> Any, within seconds: Double = 2, file: StaticString = #filePath,
                                 line: UInt = #line, check: (String) -> Void) {
        let start = Date()
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            XCTAssertTrue(e is ModelFileError, "\(type(of: e)): \(e)", file: file, line: line)
            XCTAssertFalse("\(e)".contains("\n"), file: file, line: line)
            check("\(e)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), seconds, file: file, line: line)
    }

    private static func u32(_ v: UInt32) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }
    private static func u64(_ v: UInt64) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }

    /// A GGUF of two f32 tensors `a` and `b` of 8 values at data offsets 0 and 32, for patching offsets.
    private func twoTensorGGUF(_ name: String) throws -> (URL, Data) {
        let url = dir.appendingPathComponent(name)
        let floats = Data((0..<8).flatMap { withUnsafeBytes(of: Float($0)) { Array($0) } })
        try ModelFiles.writeGGUF(url, metadata: [("general.architecture", .string("llama"))],
                                 tensors: [("a", [8], 0, floats), ("b", [8], 0, floats)])
        return (url, try Data(contentsOf: url))
    }

    /// Rewrites the data offset of tensor `b` in a file made by `twoTensorGGUF`.
    private func patchOffsetOfB(_ data: Data, to offset: UInt64) -> Data {
        let info = Self.u64(1) + Data("b".utf8) + Self.u32(1) + Self.u64(8) + Self.u32(0)
        let at = data.range(of: info)!.upperBound
        var out = data
        out.replaceSubrange(at..<(at + 8), with: Self.u64(offset))
        return out
    }

    // MARK: GGUF

    /// 40,000 nested arrays in 480 KB overflowed the stack (SIGSEGV in model-info, tokenize, generate).
    func testDeeplyNestedGGUFArraysAreRefused() throws {
        var data = Self.u32(0x4655_4747) + Self.u32(3) + Self.u64(0) + Self.u64(1)
        data += Self.u64(1) + Data("x".utf8) + Self.u32(9)
        for _ in 0..<40_000 { data += Self.u32(9) + Self.u64(1) }
        data += Self.u32(4) + Self.u64(0)
        let url = try write(data, "nested.gguf")
        XCTAssertEqual(data.count, 480_049)
        assertFailsFast({ try GGUFFile(url) }) {
            XCTAssertEqual($0, "\(url.path): metadata x nests arrays more than 4 deep")
        }
    }

    /// Arrays nested within the limit still load (the GGUF spec allows arrays of arrays).
    func testShallowlyNestedGGUFArraysLoad() throws {
        let url = dir.appendingPathComponent("shallow.gguf")
        try ModelFiles.writeGGUF(url, metadata: [("x", .array([.array([.uint(1), .uint(2)]), .array([.uint(3)])]))], tensors: [])
        let g = try GGUFFile(url)
        XCTAssertEqual(g.metadata["x"]?.array?.count, 2)
        XCTAssertEqual(g.metadata["x"]?.array?[0].array?.compactMap(\.int), [1, 2])
    }

    /// An array count beyond what the remaining bytes can hold is refused before anything is reserved.
    func testGGUFArrayCountIsCheckedAgainstElementSize() throws {
        let data = Self.u32(0x4655_4747) + Self.u32(3) + Self.u64(0) + Self.u64(1)
            + Self.u64(1) + Data("x".utf8) + Self.u32(9) + Self.u32(10) + Self.u64(100) + Data(count: 100)
        let url = try write(data, "count.gguf")
        assertFailsFast({ try GGUFFile(url) }) {
            XCTAssertEqual($0, "\(url.path): truncated: x has 100 entries but the file ends 100 bytes later")
        }
    }

    /// llama.block_count = 2^30 grew model-info to 21.5 GB; config.json's num_hidden_layers the same.
    func testHugeLayerCountsAreRefusedBeforeAllocating() throws {
        let url = dir.appendingPathComponent("layers.gguf")
        try ModelFiles.rewriteStoriesGGUF(url, metadata: ["llama.block_count": .uint(1 << 30)])
        assertFailsFast({ try ModelLoader.load(url) }) {
            XCTAssertEqual($0, "\(url.path): layers 1073741824 is out of range (1…1024)")
        }
        let hf = try polycodeDirectory("hf", config: ["num_hidden_layers": 1 << 30])
        assertFailsFast({ try ModelLoader.load(hf) }) {
            XCTAssertEqual($0, "\(hf.path)/config.json: layers 1073741824 is out of range (1…1024)")
        }
    }

    /// general.alignment = 2^64−1 wrapped the offsets in -Ounchecked builds and the model generated garbage.
    func testAlignmentMustBeAPowerOfTwo() throws {
        for (value, shown) in [(UInt64.max, "18446744073709551615"), (1 << 62, "4611686018427387904"), (48, "48"), (0, "0")] {
            let url = dir.appendingPathComponent("align-\(value).gguf")
            try ModelFiles.rewriteStoriesGGUF(url, metadata: ["general.alignment": .uint(value)])
            assertFailsFast({ try ModelLoader.load(url) }) {
                XCTAssertEqual($0, "\(url.path): general.alignment \(shown) is not a power of two up to 2^20")
            }
        }
        let string = dir.appendingPathComponent("align-string.gguf")
        try ModelFiles.rewriteStoriesGGUF(string, metadata: ["general.alignment": .string("32")])
        assertFailsFast({ try ModelLoader.load(string) }) {
            XCTAssertEqual($0, "\(string.path): general.alignment \"32\" is not a power of two up to 2^20")
        }
    }

    func testDuplicateGGUFKeysAndTensorNames() throws {
        let g = try GGUFFile(ModelFiles.stories260KGGUF)
        let meta = g.metadata.keys.sorted().map { ($0, g.metadata[$0]!) }
        let keys = dir.appendingPathComponent("keys.gguf")
        try ModelFiles.writeGGUF(keys, metadata: meta + [("general.architecture", .string("llama"))], tensors: [])
        assertFailsFast({ try ModelLoader.load(keys) }) {
            XCTAssertEqual($0, "\(keys.path): metadata key general.architecture appears twice")
        }
        let names = dir.appendingPathComponent("names.gguf")
        let norm = Data(try g.tensor("output_norm.weight").data)
        try ModelFiles.rewriteStoriesGGUF(names, extra: [("output_norm.weight", [64], 0, norm)])
        assertFailsFast({ try ModelLoader.load(names) }) {
            XCTAssertEqual($0, "\(names.path): tensor output_norm.weight appears twice")
        }
    }

    func testOverlappingAndMisalignedGGUFTensors() throws {
        let (url, data) = try twoTensorGGUF("two.gguf")
        let sound = try GGUFFile(url)
        XCTAssertEqual(try sound.tensor("b").floats(), (0..<8).map(Float.init))
        let overlap = try write(patchOffsetOfB(data, to: 0), "overlap.gguf")
        assertFailsFast({ try GGUFFile(overlap) }) {
            XCTAssertEqual($0, "\(overlap.path): tensor b (data bytes 0..<32) overlaps tensor a")
        }
        let misaligned = try write(patchOffsetOfB(data, to: 36), "misaligned.gguf")
        assertFailsFast({ try GGUFFile(misaligned) }) {
            XCTAssertEqual($0, "\(misaligned.path): tensor b at data offset 36 is not aligned to 32 bytes")
        }
        let past = try write(patchOffsetOfB(data, to: 1 << 40), "past.gguf")
        assertFailsFast({ try GGUFFile(past) }) {
            XCTAssertTrue($0.hasPrefix("\(past.path): truncated: tensor b needs bytes "), $0)
        }
    }

    /// rms_norm_eps 1e300 is infinity as a Float: every norm would output zeros.
    func testAbsurdNormEpsilon() throws {
        let url = dir.appendingPathComponent("eps.gguf")
        try ModelFiles.rewriteStoriesGGUF(url, metadata: ["llama.attention.layer_norm_rms_epsilon": .float(1e300)])
        assertFailsFast({ try ModelLoader.load(url) }) {
            XCTAssertEqual($0, "\(url.path): rms_norm_eps inf is out of range (0…1]")
        }
        let hf = try polycodeDirectory("hf", config: ["rms_norm_eps": 1e300])
        assertFailsFast({ try ModelLoader.load(hf) }) {
            XCTAssertEqual($0, "\(hf.path)/config.json: rms_norm_eps inf is out of range (0…1]")
        }
    }

    /// An ANSI escape in the architecture string reached the terminal (window title, forged lines), and long
    /// strings made messages of 70 KB.
    func testMessagesShowOnlyAShortPrintableExcerpt() throws {
        let url = dir.appendingPathComponent("ansi.gguf")
        let arch = "\u{1B}]0;pwned\u{07}\u{1B}[2J" + String(repeating: "A", count: 70_000)
        try ModelFiles.rewriteStoriesGGUF(url, metadata: ["general.architecture": .string(arch)])
        assertFailsFast({ try ModelLoader.load(url) }) { message in
            XCTAssertTrue(message.hasPrefix("\(url.path): unsupported architecture \\u{1b}]0;pwned\\u{7}\\u{1b}[2JAAA"), message)
            XCTAssertFalse(message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
            XCTAssertLessThan(message.count, url.path.count + 420)
        }
    }

    // MARK: safetensors, config.json, index

    /// Two entries under one name: decoders disagree on which wins, so the file is refused.
    func testDuplicateSafetensorsNames() throws {
        let url = dir.appendingPathComponent("dup.safetensors")
        let header = #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        try ModelFiles.writeSafetensors(url, [("x", "F32", [2], Data(count: 8))], header: header)
        assertFailsFast({ try SafetensorsFile(url) }) {
            XCTAssertEqual($0, "\(url.path): not a safetensors file (header is not a JSON object: duplicate key \"x\" at byte 54)")
        }
    }

    func testMisalignedSafetensorsTensor() throws {
        let url = dir.appendingPathComponent("misaligned.safetensors")
        let header = #"{"x":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#  // 56 bytes: data starts at 64
        try ModelFiles.writeSafetensors(url, [("x", "F32", [2], Data(count: 8))], header: header)
        assertFailsFast({ try SafetensorsFile(url) }) {
            XCTAssertEqual($0, "\(url.path): tensor x at data offset 2 is not aligned to its 4-byte elements")
        }
    }

    func testDeeplyNestedJSONIsAnErrorNotACrash() throws {
        let hf = try polycodeDirectory("hf")
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        try Data(#"{"hidden_size": \#(deep)}"#.utf8).write(to: hf.appendingPathComponent("config.json"))
        assertFailsFast({ try ModelLoader.load(hf) }) {
            XCTAssertEqual($0, "\(hf.path)/config.json: not a JSON object (nested more than 128 deep at byte 143)")
        }
    }

    func testDuplicateConfigKeys() throws {
        let hf = try polycodeDirectory("hf")
        let config = try String(contentsOf: hf.appendingPathComponent("config.json"), encoding: .utf8)
        try Data(config.replacingOccurrences(of: "{", with: #"{"num_hidden_layers": 1, "#).utf8)
            .write(to: hf.appendingPathComponent("config.json"))
        assertFailsFast({ try ModelLoader.load(hf) }) {
            XCTAssertTrue($0.hasPrefix("\(hf.path)/config.json: not a JSON object (duplicate key \"num_hidden_layers\" at byte "), $0)
        }
    }

    /// `model-info DIR/other.safetensors` silently loaded DIR/model.safetensors.
    func testANamedSafetensorsFileIsTheOneLoaded() throws {
        let hf = try polycodeDirectory("hf")
        let other = hf.appendingPathComponent("other.safetensors")
        try FileManager.default.copyItem(at: hf.appendingPathComponent("model.safetensors"), to: other)
        XCTAssertEqual(try ModelLoader.load(other).files.map(\.lastPathComponent), ["config.json", "other.safetensors"])
        // A damaged other.safetensors fails, although the directory's model.safetensors is sound.
        let data = try Data(contentsOf: other)
        try data.prefix(data.count - 4).write(to: other)
        assertFailsFast({ try ModelLoader.load(other) }) {
            XCTAssertTrue($0.hasPrefix("\(other.path): truncated: tensor "), $0)
        }
        XCTAssertEqual(try ModelLoader.load(hf).files.map(\.lastPathComponent), ["config.json", "model.safetensors"])
    }

    // MARK: special files

    /// A FIFO where a model file is expected blocked forever in open().
    func testFIFOsAreRefusedNotWaitedOn() throws {
        let fifo = dir.appendingPathComponent("model.gguf")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let hf = try polycodeDirectory("hf")
        try FileManager.default.removeItem(at: hf.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(mkfifo(hf.appendingPathComponent("model.safetensors").path, 0o600), 0)
        let hfConfig = try polycodeDirectory("hf-config")
        try FileManager.default.removeItem(at: hfConfig.appendingPathComponent("config.json"))
        XCTAssertEqual(mkfifo(hfConfig.appendingPathComponent("config.json").path, 0o600), 0)
        let cases = [(fifo, fifo), (hf, hf.appendingPathComponent("model.safetensors")),
                     (hfConfig, hfConfig.appendingPathComponent("config.json"))]
        for (url, named) in cases {
            // On a background queue: if open() blocked, the test fails at the timeout instead of hanging.
            let done = expectation(description: url.path)
            nonisolated(unsafe) var message = ""
            DispatchQueue.global().async {
                do { _ = try ModelLoader.load(url) } catch { message = "\(error)" }
                done.fulfill()
            }
            wait(for: [done], timeout: 5)
            XCTAssertEqual(message, "\(named.path): not a regular file (a FIFO, device, socket or directory)")
        }
        let device = URL(fileURLWithPath: "/dev/zero")
        assertFailsFast({ try GGUFFile(device) }) {
            XCTAssertEqual($0, "/dev/zero: not a regular file (a FIFO, device, socket or directory)")
        }
    }

    // MARK: helpers

    /// polycode's directory with config.json changed (the weights linked, not copied).
    private func polycodeDirectory(_ name: String, config change: [String: Any] = [:]) throws -> URL {
        let out = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ModelFiles.polycode.appendingPathComponent("model.safetensors"),
                                         to: out.appendingPathComponent("model.safetensors"))
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: ModelFiles.polycode.appendingPathComponent("config.json"))) as! [String: Any]
        for (k, v) in change { json[k] = v }
        try JSONSerialization.data(withJSONObject: json).write(to: out.appendingPathComponent("config.json"))
        return out
    }
}
