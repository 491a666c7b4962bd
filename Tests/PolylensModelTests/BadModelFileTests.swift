import XCTest
@testable import PolylensModel

/// Every damaged file fails through ModelLoader with one line naming the file and the problem.
/// The damaged copies are made in temp directories from the real shared models.
final class BadModelFileTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try ModelFiles.tempDirectory(self) }

    private func truncatedCopy(_ src: URL, to bytes: Int, name: String) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(try Data(contentsOf: src).prefix(bytes)).write(to: url)
        return url
    }

    /// polycode rewritten into `dir/name`: its config changed by `config`, its tensors by `tensors`.
    private func polycode(_ name: String, config: [String: Any] = [:],
                          tensors: ([(name: String, dtype: String, shape: [Int], bytes: Data)]) -> [(name: String, dtype: String, shape: [Int], bytes: Data)] = { $0 }) throws -> URL {
        let out = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let st = try SafetensorsFile(ModelFiles.polycode.appendingPathComponent("model.safetensors"))
        let entries = try st.tensorOrder.map { n -> (name: String, dtype: String, shape: [Int], bytes: Data) in
            let t = try st.tensor(n)
            return (n, "F32", t.shape, ModelFiles.bytes(t))
        }
        try ModelFiles.writeSafetensors(out.appendingPathComponent("model.safetensors"), tensors(entries))
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: ModelFiles.polycode.appendingPathComponent("config.json"))) as! [String: Any]
        for (k, v) in config { json[k] = v }
        try JSONSerialization.data(withJSONObject: json).write(to: out.appendingPathComponent("config.json"))
        return out
    }

    private func load(_ url: URL) throws -> Any { try ModelLoader.load(url) }

    // MARK: truncated

    func testTruncatedLlama2c() throws {
        let url = try truncatedCopy(ModelFiles.stories260K, to: 500_000, name: "stories.bin")
        ModelFiles.assertError("\(url.path): truncated: the header promises 1056540 bytes of weights, the file has 500000") { try self.load(url) }
    }

    func testTruncatedGGUFTensorData() throws {
        let url = try truncatedCopy(ModelFiles.stories260KGGUF, to: 1_000_000, name: "stories.gguf")
        XCTAssertThrowsError(try load(url)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(url.path): truncated: tensor blk."), "\(e)")
            XCTAssertTrue("\(e)".hasSuffix("but the file has 1000000"), "\(e)")
        }
    }

    func testTruncatedGGUFHeader() throws {
        let url = try truncatedCopy(ModelFiles.stories260KGGUF, to: 100, name: "stories.gguf")
        XCTAssertThrowsError(try load(url)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(url.path): truncated: tokenizer.ggml.tokens has 512 entries but the file ends "), "\(e)")
        }
    }

    func testTruncatedSafetensors() throws {
        let hf = try polycode("hf")
        let st = hf.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: st)
        try data.prefix(data.count - 1000).write(to: st)
        XCTAssertThrowsError(try load(hf)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(st.path): truncated: tensor model."), "\(e)")
            XCTAssertTrue("\(e)".hasSuffix("but the file has \(data.count - 1000 - 8 - Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))"), "\(e)")
        }
    }

    // MARK: wrong magic

    func testWrongMagic() throws {
        var data = try Data(contentsOf: ModelFiles.stories260KGGUF)
        data[3] = UInt8(ascii: "X")
        let url = dir.appendingPathComponent("stories.gguf")
        try data.write(to: url)
        ModelFiles.assertError("\(url.path): unrecognised model file: no GGUF magic (starts 47 47 55 58), no safetensors header, no plausible llama2.c header") {
            try self.load(url)
        }
        ModelFiles.assertError("\(url.path): not a GGUF file (wrong magic)") { try GGUFFile(url) }
    }

    func testLlama2cExportVersion2() throws {
        var data = Data([0x32, 0x34, 0x6B, 0x61, 2, 0, 0, 0])
        data += try Data(contentsOf: ModelFiles.stories260K).prefix(256)
        let url = dir.appendingPathComponent("v2.bin")
        try data.write(to: url)
        ModelFiles.assertError("\(url.path): llama2.c export version 2 (magic ak42) is not supported; export with --version 0") {
            try self.load(url)
        }
    }

    func testUnsupportedGGUFVersion() throws {
        var data = try Data(contentsOf: ModelFiles.stories260KGGUF)
        data[4] = 7
        let url = dir.appendingPathComponent("v7.gguf")
        try data.write(to: url)
        ModelFiles.assertError("\(url.path): unsupported GGUF version 7") { try self.load(url) }
    }

    // MARK: inconsistent shapes

    func testInconsistentShapesHuggingFace() throws {
        let hf = try polycode("hf", config: ["intermediate_size": 500])
        ModelFiles.assertError("\(hf.path)/model.safetensors: tensor model.layers.0.mlp.gate_proj.weight has shape [512, 192] but config.json implies [500, 192]") {
            try self.load(hf)
        }
    }

    func testInconsistentShapesGGUF() throws {
        let url = dir.appendingPathComponent("s.gguf")
        try ModelFiles.rewriteStoriesGGUF(url, metadata: ["llama.attention.head_count_kv": .uint(8)])
        ModelFiles.assertError("\(url.path): tensor blk.0.attn_k.weight has shape [32, 64] but the llama.* metadata implies [64, 64]") {
            try self.load(url)
        }
    }

    func testInconsistentLlama2cHeader() throws {
        var data = try Data(contentsOf: ModelFiles.stories260K)
        data[8] = 4 // n_layers 5 → 4: the weights no longer account for the file
        let url = dir.appendingPathComponent("stories.bin")
        try data.write(to: url)
        XCTAssertThrowsError(try load(url)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(url.path): inconsistent: the header implies "), "\(e)")
        }
    }

    // MARK: missing tensors

    func testMissingTensorHuggingFace() throws {
        let hf = try polycode("hf") { $0.filter { $0.name != "model.layers.3.mlp.up_proj.weight" } }
        ModelFiles.assertError("\(hf.path)/model.safetensors: missing tensor model.layers.3.mlp.up_proj.weight") { try self.load(hf) }
    }

    func testMissingTensorGGUF() throws {
        let url = dir.appendingPathComponent("m.gguf")
        try ModelFiles.rewriteStoriesGGUF(url) { name, t in
            name == "blk.2.ffn_down.weight" ? nil : (t.shape.reversed(), 0, Data(t.data))
        }
        ModelFiles.assertError("\(url.path): missing tensor blk.2.ffn_down.weight") { try self.load(url) }
    }

    func testMissingShardFile() throws {
        let hf = dir.appendingPathComponent("sharded")
        try FileManager.default.createDirectory(at: hf, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ModelFiles.polycode.appendingPathComponent("config.json"), to: hf.appendingPathComponent("config.json"))
        try Data(#"{"weight_map": {"model.norm.weight": "model-00001-of-00002.safetensors"}}"#.utf8)
            .write(to: hf.appendingPathComponent("model.safetensors.index.json"))
        ModelFiles.assertError("\(hf.path)/model-00001-of-00002.safetensors: cannot open (No such file or directory)") { try self.load(hf) }
    }

    // MARK: unknown dtype

    func testUnknownDTypeSafetensors() throws {
        let hf = try polycode("hf") { entries in
            entries.map { $0.name == "model.norm.weight" ? ($0.name, "F64", [96], $0.bytes) : $0 }
        }
        ModelFiles.assertError("\(hf.path)/model.safetensors: tensor model.norm.weight has unsupported dtype F64 (F32, F16 and BF16 are read)") {
            try self.load(hf)
        }
    }

    func testUnknownGGMLType() throws {
        let url = dir.appendingPathComponent("q4.gguf")
        try ModelFiles.rewriteStoriesGGUF(url) { name, t in
            (t.shape.reversed(), name == "blk.1.attn_v.weight" ? 2 : 0, Data(t.data))
        }
        ModelFiles.assertError("\(url.path): tensor blk.1.attn_v.weight has unsupported ggml type 2 (F32, F16, BF16 and Q8_0 are read)") {
            try self.load(url)
        }
    }

    // MARK: unknown architecture

    func testUnknownArchitectureHuggingFace() throws {
        let hf = try polycode("hf", config: ["architectures": ["MistralForCausalLM"], "model_type": "mistral"])
        ModelFiles.assertError("\(hf.path)/config.json: unsupported architecture MistralForCausalLM (LlamaForCausalLM is read)") {
            try self.load(hf)
        }
    }

    func testUnknownArchitectureGGUF() throws {
        let url = dir.appendingPathComponent("a.gguf")
        try ModelFiles.rewriteStoriesGGUF(url, metadata: ["general.architecture": .string("gpt2")])
        ModelFiles.assertError("\(url.path): unsupported architecture gpt2 (llama is read)") { try self.load(url) }
    }

    // MARK: bad config.json

    func testConfigThatIsNotJSON() throws {
        let hf = try polycode("hf")
        try Data("{\"hidden_size\": 192,".utf8).write(to: hf.appendingPathComponent("config.json"))
        ModelFiles.assertError("\(hf.path)/config.json: not a JSON object (unexpected end at byte 20)") { try self.load(hf) }
    }

    func testConfigWithoutAKey() throws {
        let hf = try polycode("hf", config: ["num_hidden_layers": NSNull()])
        ModelFiles.assertError("\(hf.path)/config.json: num_hidden_layers is missing") { try self.load(hf) }
    }

    func testConfigWithAWrongType() throws {
        let hf = try polycode("hf", config: ["hidden_size": "192"])
        ModelFiles.assertError("\(hf.path)/config.json: hidden_size is not a number") { try self.load(hf) }
        let hf2 = try polycode("hf2", config: ["tie_word_embeddings": 1])
        ModelFiles.assertError("\(hf2.path)/config.json: tie_word_embeddings is not true or false") { try self.load(hf2) }
        let hf3 = try polycode("hf3", config: ["num_key_value_heads": 4])
        ModelFiles.assertError("\(hf3.path)/config.json: num_attention_heads 6 is not a multiple of num_key_value_heads 4") { try self.load(hf3) }
    }

    func testDirectoryWithoutWeights() throws {
        try FileManager.default.copyItem(at: ModelFiles.polycode.appendingPathComponent("config.json"), to: dir.appendingPathComponent("config.json"))
        ModelFiles.assertError("\(dir.path): no model.safetensors or model.safetensors.index.json") { try self.load(self.dir) }
    }

    func testMissingPath() throws {
        let url = dir.appendingPathComponent("nothing.bin")
        ModelFiles.assertError("\(url.path): no such file or directory") { try self.load(url) }
    }
}
