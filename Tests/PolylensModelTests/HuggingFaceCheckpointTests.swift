import XCTest
@testable import PolylensModel

final class HuggingFaceCheckpointTests: XCTestCase {
    /// polycode: written by transformers 5 (`rope_parameters`), tied embeddings, GQA 6:3, head_dim 32.
    func testPolycodeConfig() throws {
        let m = try HuggingFaceCheckpoint(directory: ModelFiles.polycode)
        let c = m.config
        XCTAssertEqual([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKVHeads, c.headDim, c.vocabSize, c.maxPositions],
                       [192, 512, 4, 6, 3, 32, 4096, 1024])
        XCTAssertEqual(c.normEps, 1e-5)
        XCTAssertEqual(c.ropeTheta, 10000)
        XCTAssertNil(c.ropeScaling)
        XCTAssertEqual(c.ropeStyle, .halves)
        XCTAssertTrue(c.tiedEmbeddings)
        XCTAssertEqual(c.bosId, 1)
        XCTAssertEqual(c.eosId, 2)
        XCTAssertEqual(c.parameterCount, 2_410_176) // the model card's figure
        XCTAssertEqual(m.format, "huggingface")
        XCTAssertEqual(m.files.map(\.lastPathComponent), ["config.json", "model.safetensors"])
        XCTAssertEqual(try m.tensor(.output).data.baseAddress, try m.tensor(.tokenEmbedding).data.baseAddress)
        XCTAssertEqual(try m.tensor(.wk(3)).shape, [96, 192])
        XCTAssertEqual(try m.tensor(.down(2)).shape, [192, 512])
    }

    /// A directory whose config.json is `config` and whose weights are polycode's (linked, not copied).
    private func polycodeWith(config: String) throws -> URL {
        let dir = try ModelFiles.tempDirectory(self)
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("model.safetensors"),
                                                   withDestinationURL: ModelFiles.polycode.appendingPathComponent("model.safetensors"))
        try Data(config.utf8).write(to: dir.appendingPathComponent("config.json"))
        return dir
    }

    private func polycodeConfig(replacing: [String: Any?]) throws -> String {
        let data = try Data(contentsOf: ModelFiles.polycode.appendingPathComponent("config.json"))
        var json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        for (k, v) in replacing { json[k] = v ?? NSNull() }
        return String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
    }

    func testTransformers4Llama3RopeScalingAndEosList() throws {
        let config = try polycodeConfig(replacing: [
            "rope_parameters": nil, "rope_theta": 500000.0,
            "rope_scaling": ["rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                             "original_max_position_embeddings": 8192],
            "eos_token_id": [128001, 128008, 128009], "bos_token_id": 128000])
        let c = try HuggingFaceCheckpoint(directory: try polycodeWith(config: config)).config
        XCTAssertEqual(c.ropeTheta, 500000)
        XCTAssertEqual(c.ropeScaling, Llama3RopeScaling(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192))
        XCTAssertEqual(c.bosId, 128000)
        XCTAssertEqual(c.eosId, 128001)
    }

    func testTransformers5Llama3RopeParameters() throws {
        let config = try polycodeConfig(replacing: [
            "rope_parameters": ["rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
                                "high_freq_factor": 4.0, "original_max_position_embeddings": 8192]])
        let c = try HuggingFaceCheckpoint(directory: try polycodeWith(config: config)).config
        XCTAssertEqual(c.ropeTheta, 500000)
        XCTAssertEqual(c.ropeScaling?.factor, 32)
    }

    func testUnsupportedRopeType() throws {
        let dir = try polycodeWith(config: try polycodeConfig(replacing: ["rope_parameters": ["rope_type": "yarn", "factor": 4.0]]))
        ModelFiles.assertError("\(dir.path)/config.json: unsupported rope_type yarn (default and llama3 are read)") {
            try HuggingFaceCheckpoint(directory: dir)
        }
    }

    func testShardedDirectoryWithIndex() throws {
        let dir = try ModelFiles.tempDirectory(self)
        let whole = try SafetensorsFile(ModelFiles.polycode.appendingPathComponent("model.safetensors"))
        var weightMap: [String: String] = [:]
        let names = whole.tensorOrder
        for (i, part) in [names.prefix(20), names.dropFirst(20)].enumerated() {
            let file = "model-0000\(i + 1)-of-00002.safetensors"
            let entries = try part.map { n -> (name: String, dtype: String, shape: [Int], bytes: Data) in
                let t = try whole.tensor(n)
                weightMap[n] = file
                return (n, "F32", t.shape, ModelFiles.bytes(t))
            }
            try ModelFiles.writeSafetensors(dir.appendingPathComponent(file), entries)
        }
        let index = try JSONSerialization.data(withJSONObject: ["metadata": [:] as [String: Any], "weight_map": weightMap])
        try index.write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        try FileManager.default.copyItem(at: ModelFiles.polycode.appendingPathComponent("config.json"),
                                         to: dir.appendingPathComponent("config.json"))
        let sharded = try HuggingFaceCheckpoint(directory: dir)
        let original = try HuggingFaceCheckpoint(directory: ModelFiles.polycode)
        XCTAssertEqual(sharded.shards.count, 2)
        XCTAssertEqual(sharded.config, original.config)
        for t in original.config.tensors {
            XCTAssertEqual(ModelFiles.bytes(try sharded.tensor(t)), ModelFiles.bytes(try original.tensor(t)), "\(t)")
        }
    }

    /// stories260K through tools/llama2c_to_hf.py: undoing HF's permutation gives the llama2.c tensors exactly.
    func testPythonF32ConversionEqualsLlama2c() throws {
        let hfDir = try ModelFiles.pythonConvert(ModelFiles.stories260K, dtype: "f32", into: try ModelFiles.tempDirectory(self))
        let hf = try HuggingFaceCheckpoint(directory: hfDir)
        let ref = try Llama2cCheckpoint(ModelFiles.stories260K)
        var expected = ref.config
        expected.ropeStyle = .halves
        XCTAssertEqual(hf.config, expected)
        for t in ref.config.tensors {
            let got = try hf.tensor(t)
            XCTAssertEqual(got.dtype, .f32)
            switch t {
            case .wq, .wk: XCTAssertEqual(ModelFiles.unpermute(got, headDim: 8), try ref.tensor(t).floats(), "\(t)")
            default: XCTAssertEqual(got.floats(), try ref.tensor(t).floats(), "\(t)")
            }
        }
        XCTAssertNotEqual(try hf.tensor(.wq(0)).floats(), try ref.tensor(.wq(0)).floats(), "the permutation moved rows")
    }

    /// BF16: every value is the round-to-nearest-even bf16 of the llama2.c value (relative error ≤ 2⁻⁸).
    func testPythonBF16ConversionWithinRounding() throws {
        let hfDir = try ModelFiles.pythonConvert(ModelFiles.stories260K, dtype: "bf16", into: try ModelFiles.tempDirectory(self))
        let hf = try HuggingFaceCheckpoint(directory: hfDir)
        let ref = try Llama2cCheckpoint(ModelFiles.stories260K)
        for t in ref.config.tensors {
            let got = try hf.tensor(t)
            XCTAssertEqual(got.dtype, .bf16)
            let values: [Float]
            switch t {
            case .wq, .wk: values = ModelFiles.unpermute(got, headDim: 8)
            default: values = got.floats()
            }
            let want = try ref.tensor(t).floats()
            var bad = 0
            for (g, w) in zip(values, want) {
                if g.bitPattern != UInt32(HuggingFaceWriter.bf16Bits(w)) << 16 || abs(g - w) > abs(w) * 0x1p-8 { bad += 1 }
            }
            XCTAssertEqual(bad, 0, "\(t)")
        }
    }
}
