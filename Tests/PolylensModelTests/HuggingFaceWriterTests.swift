import XCTest
@testable import PolylensModel

final class HuggingFaceWriterTests: XCTestCase {
    /// The Swift writer and tools/llama2c_to_hf.py, written independently, produce the same file.
    func testStories260KF32MatchesPythonConverterByteForByte() throws {
        let tmp = try ModelFiles.tempDirectory(self)
        let python = try ModelFiles.pythonConvert(ModelFiles.stories260K, dtype: "f32", into: tmp)
        let swift = tmp.appendingPathComponent("hf-swift")
        try HuggingFaceWriter.write(try Llama2cCheckpoint(ModelFiles.stories260K), to: swift, dtype: .f32)
        let a = try SafetensorsFile(python.appendingPathComponent("model.safetensors"))
        let b = try SafetensorsFile(swift.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(a.tensorOrder, b.tensorOrder)
        for name in a.tensorOrder {
            XCTAssertEqual(a.tensors[name], b.tensors[name], name)
            XCTAssertEqual(ModelFiles.bytes(try a.tensor(name)), ModelFiles.bytes(try b.tensor(name)), name)
        }
        XCTAssertEqual(try Data(contentsOf: a.url), try Data(contentsOf: b.url), "same header layout too")
        XCTAssertEqual(try HuggingFaceCheckpoint(directory: swift).config, try HuggingFaceCheckpoint(directory: python).config)
    }

    func testStories260KBF16MatchesPythonConverter() throws {
        let tmp = try ModelFiles.tempDirectory(self)
        let python = try ModelFiles.pythonConvert(ModelFiles.stories260K, dtype: "bf16", into: tmp)
        let swift = tmp.appendingPathComponent("hf-swift")
        try HuggingFaceWriter.write(try Llama2cCheckpoint(ModelFiles.stories260K), to: swift, dtype: .bf16)
        XCTAssertEqual(try Data(contentsOf: python.appendingPathComponent("model.safetensors")),
                       try Data(contentsOf: swift.appendingPathComponent("model.safetensors")))
    }

    /// A halves-style source (HF) is written unpermuted; F16 values are Float16's rounding of the originals.
    func testHuggingFaceSourceRoundTripsInF32AndF16() throws {
        let tmp = try ModelFiles.tempDirectory(self)
        let original = try HuggingFaceCheckpoint(directory: ModelFiles.polycode)
        try HuggingFaceWriter.write(original, to: tmp.appendingPathComponent("f32"), dtype: .f32)
        try HuggingFaceWriter.write(original, to: tmp.appendingPathComponent("f16"), dtype: .f16)
        let f32 = try HuggingFaceCheckpoint(directory: tmp.appendingPathComponent("f32"))
        let f16 = try HuggingFaceCheckpoint(directory: tmp.appendingPathComponent("f16"))
        XCTAssertEqual(f32.config, original.config)
        XCTAssertEqual(f16.config, original.config)
        for t in original.config.tensors {
            let want = try original.tensor(t).floats()
            XCTAssertEqual(ModelFiles.bytes(try f32.tensor(t)), ModelFiles.bytes(try original.tensor(t)), "\(t)")
            XCTAssertEqual(try f16.tensor(t).dtype, .f16)
            XCTAssertEqual(try f16.tensor(t).floats(), want.map { Float(Float16($0)) }, "\(t)")
        }
        let listing = try FileManager.default.contentsOfDirectory(atPath: tmp.appendingPathComponent("f16").path).sorted()
        XCTAssertEqual(listing, ["config.json", "model.safetensors"], "no partial files left behind")
    }

    /// A BF16 source written as BF16 is copied bit for bit; a GGUF source (interleaved) is permuted like llama2.c.
    func testBF16CopyAndGGUFSource() throws {
        let tmp = try ModelFiles.tempDirectory(self)
        let python = try HuggingFaceCheckpoint(directory: try ModelFiles.pythonConvert(ModelFiles.stories260K, dtype: "bf16", into: tmp))
        try HuggingFaceWriter.write(python, to: tmp.appendingPathComponent("copy"), dtype: .bf16)
        let copy = try HuggingFaceCheckpoint(directory: tmp.appendingPathComponent("copy"))
        for t in python.config.tensors {
            XCTAssertEqual(ModelFiles.bytes(try copy.tensor(t)), ModelFiles.bytes(try python.tensor(t)), "\(t)")
        }

        let pythonF32 = try HuggingFaceCheckpoint(directory: try ModelFiles.pythonConvert(ModelFiles.stories260K, dtype: "f32", into: tmp))
        try HuggingFaceWriter.write(try GGUFCheckpoint(ModelFiles.stories260KGGUF), to: tmp.appendingPathComponent("gguf"), dtype: .f32)
        let fromGGUF = try HuggingFaceCheckpoint(directory: tmp.appendingPathComponent("gguf"))
        XCTAssertFalse(fromGGUF.config.tiedEmbeddings)
        for t in pythonF32.config.tensors + [.output] {
            XCTAssertEqual(ModelFiles.bytes(try fromGGUF.tensor(t)), ModelFiles.bytes(try pythonF32.tensor(t)), "\(t)")
        }
    }

    func testBF16RoundsToNearestEven() {
        func bits(_ b: UInt32) -> Float { Float(bitPattern: b) }
        XCTAssertEqual(HuggingFaceWriter.bf16Bits(1), 0x3F80)
        XCTAssertEqual(HuggingFaceWriter.bf16Bits(bits(0x3F80_8000)), 0x3F80) // tie → even
        XCTAssertEqual(HuggingFaceWriter.bf16Bits(bits(0x3F81_8000)), 0x3F82) // tie → even (up)
        XCTAssertEqual(HuggingFaceWriter.bf16Bits(bits(0x3F80_8001)), 0x3F81) // above the tie
        XCTAssertEqual(HuggingFaceWriter.bf16Bits(bits(0xBF80_7FFF)), 0xBF80) // below the tie, negative
        XCTAssertEqual(HuggingFaceWriter.bf16Bits(.greatestFiniteMagnitude), 0x7F80) // overflows to inf
        XCTAssertEqual(HuggingFaceWriter.bf16Bits(-.infinity), 0xFF80)
        XCTAssertEqual(HuggingFaceWriter.bf16Bits(.nan), 0x7FC0)
    }

    func testDestinationThatIsAFile() throws {
        let file = try ModelFiles.tempDirectory(self).appendingPathComponent("taken")
        try Data("x".utf8).write(to: file)
        ModelFiles.assertError("\(file.path): cannot write a model directory here: a file of that name exists") {
            try HuggingFaceWriter.write(try Llama2cCheckpoint(ModelFiles.stories260K), to: file)
        }
        let below = file.appendingPathComponent("sub")
        ModelFiles.assertError("\(below.path): cannot create the directory") {
            try HuggingFaceWriter.write(try Llama2cCheckpoint(ModelFiles.stories260K), to: below)
        }
    }

    func testRefusesQ8_0() throws {
        let dir = try ModelFiles.tempDirectory(self).appendingPathComponent("q")
        ModelFiles.assertError("\(dir.path): cannot write q8_0 safetensors (F32, F16 and BF16 are written)") {
            try HuggingFaceWriter.write(try Llama2cCheckpoint(ModelFiles.stories260K), to: dir, dtype: .q8_0)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path))
    }
}
