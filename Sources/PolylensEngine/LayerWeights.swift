import Foundation
import PolylensModel

/// The weights as f32 pointers for the forward pass. F32 tensors are used in place in the mapped file;
/// F16, BF16 and Q8_0 tensors are converted when their layer is computed, into one set of buffers that
/// every layer reuses, so an 8B BF16 checkpoint needs its file plus one layer in f32. When the whole
/// converted model is small (≤ `residentLimit` bytes as f32), it is converted once and kept instead.
final class LayerWeights {
    /// One layer's matrices and norms, ready for BLAS.
    struct Layer {
        let attnNorm, mlpNorm: UnsafePointer<Float>
        let wq, wk, wv, wo, gate, up, down: UnsafePointer<Float>
    }

    static let residentLimit = 256 << 20
    /// Rows of a non-f32 output matrix converted at a time (bounded memory for a 128k vocabulary).
    static let outputBlockBytes = 64 << 20

    let config: LlamaConfig
    /// Kept alive: the views below point into its mapping.
    private let source: ModelWeights
    private let embedding: TensorView
    private let output: TensorView
    private let views: [[LlamaTensor: TensorView]]
    private let norms: [FloatBuffer]          // attn and mlp norm of each layer, then the final norm
    private var converted: [LlamaTensor: FloatBuffer] = [:]
    private var convertedLayer = -1
    private let resident: Bool
    private var outputBlock: FloatBuffer?
    private let loop: RowLoop

    init(_ weights: ModelWeights, loop: RowLoop, residentLimit: Int = LayerWeights.residentLimit) throws {
        let c = weights.config
        config = c
        source = weights
        self.loop = loop
        let fileName = weights.files.first?.path ?? weights.format
        func view(_ t: LlamaTensor) throws -> TensorView {
            let v = try weights.tensor(t), shape = c.shape(of: t)
            guard v.shape == shape else {
                throw ModelFileError(path: fileName, "tensor \(t) has shape \(v.shape), the config needs \(shape)")
            }
            guard v.data.count >= v.dtype.byteCount(elements: v.count), v.data.baseAddress != nil else {
                throw ModelFileError(path: fileName, "tensor \(t) holds \(v.data.count) bytes, its shape needs \(v.dtype.byteCount(elements: v.count))")
            }
            if v.dtype == .q8_0, shape.last! % 32 != 0 {
                throw ModelFileError(path: fileName, "tensor \(t) is Q8_0 but its rows of \(shape.last!) are not whole blocks of 32")
            }
            return v
        }
        guard c.dim > 0, c.hiddenDim > 0, c.nLayers > 0, c.nHeads > 0, c.nKVHeads > 0, c.headDim > 0,
              c.headDim % 2 == 0, c.nHeads % c.nKVHeads == 0, c.vocabSize > 0 else {
            throw ModelFileError(path: fileName, "unusable architecture numbers \(c)")
        }
        embedding = try view(.tokenEmbedding)
        output = try view(.output)
        func normBuffer(_ t: LlamaTensor) throws -> FloatBuffer {
            let v = try view(t), b = FloatBuffer(v.count)
            v.copyFloats(into: b.pointer)
            return b
        }
        var views: [[LlamaTensor: TensorView]] = []
        var norms: [FloatBuffer] = []
        for l in 0..<c.nLayers {
            var m: [LlamaTensor: TensorView] = [:]
            for t in [LlamaTensor.wq(l), .wk(l), .wv(l), .wo(l), .gate(l), .up(l), .down(l)] { m[t] = try view(t) }
            views.append(m)
            norms.append(try normBuffer(.attnNorm(l)))
            norms.append(try normBuffer(.mlpNorm(l)))
        }
        norms.append(try normBuffer(.finalNorm))
        self.views = views
        self.norms = norms

        let toConvert = views.flatMap { $0.values }.filter { $0.dtype != .f32 }.reduce(0) { $0 + $1.count * 4 }
            + (output.dtype == .f32 ? 0 : output.count * 4)
        resident = toConvert <= residentLimit
        if resident {
            for l in 0..<c.nLayers {
                for (t, v) in views[l] where v.dtype != .f32 { converted[t] = convert(v, into: FloatBuffer(v.count)) }
            }
            if output.dtype != .f32 { outputBlock = convert(output, into: FloatBuffer(output.count)) }
        }
    }

    var finalNorm: UnsafePointer<Float> { UnsafePointer(norms[2 * config.nLayers].pointer) }

    /// The f32 pointers of layer `l`, converting its non-f32 tensors unless they are resident.
    func layer(_ l: Int) -> Layer {
        let m = views[l]
        func f32(_ t: LlamaTensor, _ role: LlamaTensor) -> UnsafePointer<Float> {
            let v = m[t]!
            if v.dtype == .f32 { return v.data.baseAddress!.assumingMemoryBound(to: Float.self) }
            if resident { return UnsafePointer(converted[t]!.pointer) }
            // One buffer per role (q, k, v, …) shared by all layers.
            let buffer = converted[role] ?? FloatBuffer(v.count)
            converted[role] = buffer
            if convertedLayer != l { _ = convert(v, into: buffer) }
            return UnsafePointer(buffer.pointer)
        }
        let layer = Layer(attnNorm: UnsafePointer(norms[2 * l].pointer), mlpNorm: UnsafePointer(norms[2 * l + 1].pointer),
                          wq: f32(.wq(l), .wq(-1)), wk: f32(.wk(l), .wk(-1)), wv: f32(.wv(l), .wv(-1)),
                          wo: f32(.wo(l), .wo(-1)), gate: f32(.gate(l), .gate(-1)), up: f32(.up(l), .up(-1)),
                          down: f32(.down(l), .down(-1)))
        convertedLayer = l
        return layer
    }

    /// Writes the embedding row of `token` (already range-checked) into `out`.
    func embed(_ token: Int, into out: UnsafeMutablePointer<Float>) {
        embedding.copyFloats(into: out, start: token * config.dim, count: config.dim)
    }

    /// Calls `body` with consecutive row blocks of the output matrix as f32 (one block unless it is a large
    /// non-f32 matrix, which is converted block by block).
    func forEachOutputBlock(_ body: (_ firstRow: Int, _ rows: Int, _ w: UnsafePointer<Float>) -> Void) {
        let vocab = config.vocabSize, dim = config.dim
        if output.dtype == .f32 {
            body(0, vocab, output.data.baseAddress!.assumingMemoryBound(to: Float.self))
            return
        }
        if resident, let all = outputBlock {
            body(0, vocab, UnsafePointer(all.pointer))
            return
        }
        let blockRows = max(1, Self.outputBlockBytes / (dim * 4))
        let buffer = outputBlock ?? FloatBuffer(min(blockRows, vocab) * dim)
        outputBlock = buffer
        var first = 0
        while first < vocab {
            let rows = min(blockRows, vocab - first)
            convertRows(output, first: first, rows: rows, into: buffer.pointer)
            body(first, rows, UnsafePointer(buffer.pointer))
            first += rows
        }
    }

    @discardableResult
    private func convert(_ v: TensorView, into buffer: FloatBuffer) -> FloatBuffer {
        convertRows(v, first: 0, rows: v.shape[0], into: buffer.pointer)
        return buffer
    }

    /// Converts rows in parallel; rows are whole Q8_0 blocks (checked at load).
    private func convertRows(_ v: TensorView, first: Int, rows: Int, into out: UnsafeMutablePointer<Float>) {
        let cols = v.count / v.shape[0]
        loop(rows, work: rows * cols) { range in
            v.copyFloats(into: out + range.lowerBound * cols, start: (first + range.lowerBound) * cols,
                         count: range.count * cols)
        }
    }
}
