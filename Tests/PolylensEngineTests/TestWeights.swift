import Foundation
import PolylensModel

/// Shared files the engine tests run on.
enum Models {
    static let stories260K = SharedFiles.url("models/llama2c/stories260K.bin")
    static let tok512 = SharedFiles.url("models/llama2c/tok512.bin")
    static let polycode = SharedFiles.url("models/polycode")
    static let textwrap = SharedFiles.url("data/text/textwrap16k.txt")
}

/// Another checkpoint's tensors re-laid out in memory: q/k rows permuted the way Hugging Face's converter
/// does (rotate-half RoPE), and/or stored in another dtype. Tests that the engine gives the same outputs
/// whatever the layout, without going through a file reader.
final class RelaidWeights: ModelWeights, @unchecked Sendable {
    let config: LlamaConfig
    let format = "relaid"
    var files: [URL] { base.files }
    private let base: ModelWeights
    private var tensors: [LlamaTensor: (TensorView, UnsafeMutableRawBufferPointer)] = [:]

    init(_ base: ModelWeights, halves: Bool, dtype: DType) throws {
        self.base = base
        var c = base.config
        if halves { c.ropeStyle = .halves }
        config = c
        var all: [LlamaTensor] = [.tokenEmbedding, .finalNorm]
        if !c.tiedEmbeddings { all.append(.output) }
        for l in 0..<c.nLayers {
            all += [.attnNorm(l), .wq(l), .wk(l), .wv(l), .wo(l), .mlpNorm(l), .gate(l), .up(l), .down(l)]
        }
        for t in all {
            let v = try base.tensor(t)
            var f = v.floats()
            if halves {
                switch t {
                case .wq: f = Self.permute(f, heads: c.nHeads, headDim: c.headDim, cols: c.dim)
                case .wk: f = Self.permute(f, heads: c.nKVHeads, headDim: c.headDim, cols: c.dim)
                default: break
                }
            }
            let isNorm: Bool = switch t { case .attnNorm, .mlpNorm, .finalNorm: true; default: false }
            let d: DType = isNorm ? .f32 : dtype
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: d.byteCount(elements: f.count), alignment: 64)
            for (i, x) in f.enumerated() {
                switch d {
                case .f32: bytes.storeBytes(of: x, toByteOffset: 4 * i, as: Float.self)
                case .bf16: // round to nearest even, as torch does
                    let b = x.bitPattern
                    let r = (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16
                    bytes.storeBytes(of: UInt16(r), toByteOffset: 2 * i, as: UInt16.self)
                case .f16: bytes.storeBytes(of: Float16(x).bitPattern, toByteOffset: 2 * i, as: UInt16.self)
                case .q8_0: fatalError("not used in tests")
                }
            }
            tensors[t] = (TensorView(name: v.name, dtype: d, shape: v.shape, data: UnsafeRawBufferPointer(bytes)), bytes)
        }
    }

    deinit { for (_, t) in tensors { t.1.deallocate() } }

    func tensor(_ t: LlamaTensor) throws -> TensorView {
        let key = (t == .output && config.tiedEmbeddings) ? .tokenEmbedding : t
        guard let v = tensors[key] else { throw ModelFileError(path: "relaid", "missing tensor \(t)") }
        return v.0
    }

    /// Hugging Face's `permute`: within each head, row 2i goes to i and row 2i+1 to i + headDim/2.
    static func permute(_ w: [Float], heads: Int, headDim: Int, cols: Int) -> [Float] {
        var out = w
        for h in 0..<heads {
            for i in 0..<(headDim / 2) {
                for (from, to) in [(2 * i, i), (2 * i + 1, i + headDim / 2)] {
                    let src = (h * headDim + from) * cols, dst = (h * headDim + to) * cols
                    for j in 0..<cols { out[dst + j] = w[src + j] }
                }
            }
        }
        return out
    }
}

/// Largest |a − b| / max(|b|, 1) over two equally long arrays.
func maxRelativeDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    var worst: Float = 0
    for i in a.indices { worst = max(worst, abs(a[i] - b[i]) / max(abs(b[i]), 1)) }
    return worst
}
