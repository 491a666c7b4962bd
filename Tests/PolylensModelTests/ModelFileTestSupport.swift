import Foundation
import XCTest
@testable import PolylensModel

/// Shared by the model-file tests: temp directories, the Python converter, and hand-made safetensors.
enum ModelFiles {
    static let stories260K = SharedFiles.url("models/llama2c/stories260K.bin")
    static let stories260KGGUF = SharedFiles.url("models/gguf/stories260K-f32.gguf")
    static let polycode = SharedFiles.url("models/polycode")

    /// A fresh temp directory, removed when the test ends.
    static func tempDirectory(_ test: XCTestCase) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("polylens-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// Runs tools/llama2c_to_hf.py (python3 + numpy) and returns the directory it wrote.
    static func pythonConvert(_ src: URL, dtype: String, into dir: URL) throws -> URL {
        var root = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root.deleteLastPathComponent()
        }
        let out = dir.appendingPathComponent("hf-python-\(dtype)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", root.appendingPathComponent("tools/llama2c_to_hf.py").path, src.path, out.path, "--dtype", dtype]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ModelFileError(path: "tools/llama2c_to_hf.py", "exit \(p.terminationStatus): \(message)")
        }
        return out
    }

    /// A safetensors file from raw parts; `header` replaces the generated JSON when given.
    static func writeSafetensors(_ url: URL, _ entries: [(name: String, dtype: String, shape: [Int], bytes: Data)],
                                 header override: String? = nil) throws {
        var offset = 0
        var parts: [String] = []
        var body = Data()
        for e in entries {
            parts.append(#""\#(e.name)":{"dtype":"\#(e.dtype)","shape":\#(e.shape),"data_offsets":[\#(offset),\#(offset + e.bytes.count)]}"#)
            offset += e.bytes.count
            body += e.bytes
        }
        var header = Data((override ?? "{" + parts.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }  // as safetensors pads it
        var length = UInt64(header.count).littleEndian
        var file = Data(bytes: &length, count: 8)
        file += header
        file += body
        try file.write(to: url)
    }

    /// The bytes of a tensor as stored.
    static func bytes(_ t: TensorView) -> Data { Data(t.data) }

    /// Undoes HF's q/k permutation: source row h·d + 2i + j sits at row h·d + j·d/2 + i.
    static func unpermute(_ t: TensorView, headDim: Int) -> [Float] {
        let w = t.floats()
        let cols = t.shape[1]
        var out = [Float](repeating: .nan, count: w.count)
        let half = headDim / 2
        for r in 0..<t.shape[0] {
            let (h, within) = r.quotientAndRemainder(dividingBy: headDim)
            let (j, i) = within.quotientAndRemainder(dividingBy: half)
            let src = h * headDim + 2 * i + j
            for c in 0..<cols { out[src * cols + c] = w[r * cols + c] }
        }
        return out
    }

    /// Asserts `body` throws a ModelFileError whose one-line message is exactly `message`.
    static func assertError(_ message: String, file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> Any) {
        XCTAssertThrowsError(try body(), file: file, line: line) { e in
            XCTAssertTrue(e is ModelFileError, "\(type(of: e)): \(e)", file: file, line: line)
            XCTAssertEqual("\(e)", message, file: file, line: line)
            XCTAssertFalse("\(e)".contains("\n"), file: file, line: line)
        }
    }

    /// A GGUF v3 file from metadata and raw tensors (`type` is the ggml type code, `dims` in GGUF order).
    static func writeGGUF(_ url: URL, metadata: [(String, GGUFValue)],
                          tensors: [(name: String, dims: [Int], type: UInt32, bytes: Data)]) throws {
        var out = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func str(_ s: String) { u64(UInt64(s.utf8.count)); out += Data(s.utf8) }
        func code(_ v: GGUFValue) -> UInt32 {
            switch v {
            case .uint: return 10
            case .int: return 11
            case .float: return 12
            case .bool: return 7
            case .string: return 8
            case .array: return 9
            }
        }
        func value(_ v: GGUFValue) {
            switch v {
            case .uint(let x): u64(x)
            case .int(let x): u64(UInt64(bitPattern: x))
            case .float(let x): u64(x.bitPattern)
            case .bool(let b): out.append(b ? 1 : 0)
            case .string(let s): str(s)
            case .array(let a):
                u32(a.first.map(code) ?? 10)
                u64(UInt64(a.count))
                a.forEach(value)
            }
        }
        u32(0x4655_4747); u32(3); u64(UInt64(tensors.count)); u64(UInt64(metadata.count))
        for (k, v) in metadata { str(k); u32(code(v)); value(v) }
        var offset = 0
        for t in tensors {
            str(t.name); u32(UInt32(t.dims.count)); t.dims.forEach { u64(UInt64($0)) }; u32(t.type); u64(UInt64(offset))
            offset += (t.bytes.count + 31) / 32 * 32
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out += t.bytes
            while out.count % 32 != 0 { out.append(0) }
        }
        try out.write(to: url)
    }

    /// stories260K-f32.gguf rewritten, optionally with tensors changed or dropped and metadata replaced.
    static func rewriteStoriesGGUF(_ url: URL, metadata change: [String: GGUFValue?] = [:],
                                   extra: [(name: String, dims: [Int], type: UInt32, bytes: Data)] = [],
                                   tensor transform: (String, TensorView) -> (dims: [Int], type: UInt32, bytes: Data)? = {
                                       (_, t) in (t.shape.reversed(), 0, Data(t.data)) }) throws {
        let g = try GGUFFile(stories260KGGUF)
        var meta: [(String, GGUFValue)] = []
        for key in g.metadata.keys.sorted() where change[key] == nil { meta.append((key, g.metadata[key]!)) }
        for (k, v) in change.sorted(by: { $0.key < $1.key }) { if let v { meta.append((k, v)) } }
        let tensors = try g.tensorOrder.compactMap { name -> (name: String, dims: [Int], type: UInt32, bytes: Data)? in
            guard let t = transform(name, try g.tensor(name)) else { return nil }
            return (name, t.dims, t.type, t.bytes)
        }
        try writeGGUF(url, metadata: meta, tensors: tensors + extra)
    }
}
