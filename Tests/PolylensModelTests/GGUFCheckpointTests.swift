import XCTest
@testable import PolylensModel

final class GGUFCheckpointTests: XCTestCase {
    /// llama.cpp's conversion of stories260K: same numbers, same tensors as the llama2.c file.
    func testStories260KEqualsLlama2c() throws {
        let g = try GGUFCheckpoint(ModelFiles.stories260KGGUF)
        let ref = try Llama2cCheckpoint(ModelFiles.stories260K)
        let c = g.config
        XCTAssertEqual([c.dim, c.hiddenDim, c.nLayers, c.nHeads, c.nKVHeads, c.headDim, c.vocabSize, c.maxPositions],
                       [64, 172, 5, 8, 4, 8, 512, 128]) // llama.cpp's converter writes context 128
        XCTAssertEqual(c.normEps, 1e-5)
        XCTAssertEqual(c.ropeTheta, 10000)
        XCTAssertEqual(c.ropeStyle, .interleaved)
        XCTAssertFalse(c.tiedEmbeddings, "the converter writes output.weight")
        XCTAssertEqual(c.bosId, 1)
        XCTAssertEqual(c.eosId, 2)
        for t in ref.config.tensors + [.output] {
            XCTAssertEqual(try g.tensor(t).floats(), try ref.tensor(t).floats(), "\(t)")
        }
    }

    /// F16, BF16 and Q8_0 copies of stories260K read back as the values they encode.
    func testF16BF16AndQ8_0Tensors() throws {
        let url = try ModelFiles.tempDirectory(self).appendingPathComponent("mixed.gguf")
        try ModelFiles.rewriteStoriesGGUF(url) { name, t in
            let x = t.floats()
            if name.hasSuffix("attn_q.weight") {
                return (t.shape.reversed(), 1, Data(x.flatMap { v in withUnsafeBytes(of: Float16(v).bitPattern, Array.init) }))
            }
            if name.hasSuffix("attn_k.weight") {
                return (t.shape.reversed(), 30, Data(x.flatMap { v in withUnsafeBytes(of: HuggingFaceWriter.bf16Bits(v), Array.init) }))
            }
            if name.hasSuffix("ffn_gate.weight") || name == "token_embd.weight" {
                var out = Data()
                for b in stride(from: 0, to: x.count, by: 32) {
                    let block = x[b..<(b + 32)]
                    let d = Float16((block.map(abs).max() ?? 0) / 127)
                    withUnsafeBytes(of: d.bitPattern) { out += $0 }
                    out += Data(block.map { v in UInt8(bitPattern: Int8(d == 0 ? 0 : (v / Float(d)).rounded())) })
                }
                return (t.shape.reversed(), 8, out)
            }
            return (t.shape.reversed(), 0, Data(t.data))
        }
        let g = try GGUFCheckpoint(url)
        let ref = try Llama2cCheckpoint(ModelFiles.stories260K)
        XCTAssertEqual(try g.tensor(.wq(2)).dtype, .f16)
        XCTAssertEqual(try g.tensor(.wq(2)).floats(), try ref.tensor(.wq(2)).floats().map { Float(Float16($0)) })
        XCTAssertEqual(try g.tensor(.wk(1)).dtype, .bf16)
        XCTAssertEqual(try g.tensor(.wk(1)).floats(),
                       try ref.tensor(.wk(1)).floats().map { Float(bitPattern: UInt32(HuggingFaceWriter.bf16Bits($0)) << 16) })
        let q = try g.tensor(.gate(4))
        XCTAssertEqual(q.dtype, .q8_0)
        XCTAssertEqual(q.data.count, 172 * 64 / 32 * 34)
        let want = try ref.tensor(.gate(4)).floats()
        let got = q.floats()
        for b in stride(from: 0, to: want.count, by: 32) {
            let scale = want[b..<(b + 32)].map(abs).max()! / 127
            for i in b..<(b + 32) { XCTAssertEqual(got[i], want[i], accuracy: scale * 0.5 + scale * 1e-3) }
        }
        XCTAssertEqual(try g.tensor(.tokenEmbedding).dtype, .q8_0)
    }

    /// llama.cpp encodes Llama 3.1 scaling as rope_freqs.weight; it is recognised as such.
    func testLlama3RopeFreqsTensor() throws {
        let scaling = Llama3RopeScaling(factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192)
        // With head_dim 8, theta 25⁴ puts the four wavelengths 2π·25^i in the high, smooth and low bands.
        let theta = 390625.0
        let divisors = scaling.divisors(headDim: 8, theta: theta).map(Float.init)
        XCTAssertEqual(divisors.map { $0 == 1 ? "1" : $0 == 8 ? "8" : "smooth" }, ["1", "1", "smooth", "8"])
        let dir = try ModelFiles.tempDirectory(self)
        func write(_ values: [Float], _ name: String) throws -> URL {
            let url = dir.appendingPathComponent(name)
            let freqs = Data(values.flatMap { v in withUnsafeBytes(of: v, Array.init) })
            try ModelFiles.rewriteStoriesGGUF(url, metadata: ["llama.rope.freq_base": .float(theta)],
                                              extra: [("rope_freqs.weight", [4], 0, freqs)])
            return url
        }
        XCTAssertEqual(try GGUFCheckpoint(try write(divisors, "llama3.gguf")).config.ropeScaling, scaling)
        let other = try write([1, 2, 3, 4], "other.gguf")
        ModelFiles.assertError("\(other.path): tensor rope_freqs.weight is not Llama 3.1 frequency scaling (unsupported RoPE scaling)") {
            try GGUFCheckpoint(other)
        }
    }
}
