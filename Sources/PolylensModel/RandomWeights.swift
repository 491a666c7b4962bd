import Foundation

/// An in-memory checkpoint of any Llama shape and dtype filled with seeded random values, for benchmarks
/// (speed does not depend on the values) and tests. Matrices are uniform in ±1/√in so activations stay
/// in range through many layers; norms are 1.
public final class RandomWeights: ModelWeights, @unchecked Sendable {
    public let config: LlamaConfig
    public let format = "random"
    public var files: [URL] { [] }
    public let dtype: DType
    private var storage: [LlamaTensor: (shape: [Int], bytes: UnsafeMutableRawBufferPointer)] = [:]

    public init(_ config: LlamaConfig, dtype: DType = .f32, seed: UInt64 = 1) {
        self.config = config
        self.dtype = dtype
        var rng = SplitMix64(seed: seed)
        for t in config.tensors {
            let shape = config.shape(of: t)
            let count = shape.reduce(1, *)
            // Uniform in ±1/√in for matrices, ±1 for the embedding, ones for norms.
            let scale: Float? = switch t {
            case .attnNorm, .mlpNorm, .finalNorm: nil
            case .tokenEmbedding: 1
            default: 1 / Float(shape[1]).squareRoot()
            }
            let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, dtype.byteCount(elements: count)),
                                                               alignment: 64)
            Self.fill(bytes, dtype: dtype, count: count, rng: &rng, scale: scale)
            storage[t] = (shape, bytes)
        }
    }

    deinit { for (_, t) in storage { t.bytes.deallocate() } }

    public func tensor(_ t: LlamaTensor) throws -> TensorView {
        let key = (t == .output && config.tiedEmbeddings) ? .tokenEmbedding : t
        guard let (shape, bytes) = storage[key] else { throw ModelFileError(path: "random weights", "missing tensor \(t)") }
        return TensorView(name: "\(t)", dtype: dtype, shape: shape,
                          data: UnsafeRawBufferPointer(start: bytes.baseAddress, count: dtype.byteCount(elements: shape.reduce(1, *))))
    }

    /// Uniform values in ±scale (or all ones when `scale` is nil), written in `dtype`.
    private static func fill(_ out: UnsafeMutableRawBufferPointer, dtype: DType, count: Int,
                             rng: inout SplitMix64, scale: Float?) {
        func value() -> Float { scale.map { $0 * (2 * rng.nextUnit() - 1) } ?? 1 }
        let base = out.baseAddress!
        switch dtype {
        case .f32:
            let p = base.assumingMemoryBound(to: Float.self)
            for i in 0..<count { p[i] = value() }
        case .f16:
            let p = base.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { p[i] = Float16(value()).bitPattern }
        case .bf16:
            let p = base.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { p[i] = UInt16(truncatingIfNeeded: value().bitPattern >> 16) }
        case .q8_0:
            // One f16 scale per block of 32, then 32 int8: values d·q with |q| ≤ 127.
            for b in 0..<(count / 32) {
                let block = base + b * 34
                let d = (scale ?? 1) / 127
                block.storeBytes(of: Float16(d).bitPattern, as: UInt16.self)
                let q = (block + 2).assumingMemoryBound(to: Int8.self)
                for j in 0..<32 { q[j] = scale == nil ? 127 : Int8((value() / d).rounded().clamped(-127, 127)) }
            }
        }
    }
}

private extension Float {
    func clamped(_ lo: Float, _ hi: Float) -> Float { Swift.min(Swift.max(self, lo), hi) }
}
