/// GGUF's Q8_0 block quantization, as a blob dtype for hidden states: blocks of 32 consecutive values of the
/// flattened tensor, each an f16 scale d (little-endian) and 32 int8 q with value = d · q; the last block is
/// zero-padded. One scale per 32 values keeps a row's "massive activations" (a few dimensions 100–1000× the
/// rest) from flattening every other dimension, which one scale per row would.
enum Q8_0 {
    static let blockValues = 32
    static let blockBytes = 34

    static func byteCount(values: Int) -> Int { (values + blockValues - 1) / blockValues * blockBytes }

    /// The blocks of `values`, or nil when a value is not finite or a scale exceeds f16's range
    /// (the caller then stores the tensor unquantized).
    static func encode(_ values: [Float]) -> [UInt8]? {
        let blocks = (values.count + blockValues - 1) / blockValues
        var out = [UInt8](repeating: 0, count: blocks * blockBytes)
        let ok = values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBytes { dst in
                for b in 0..<blocks {
                    let start = b * blockValues, end = min(start + blockValues, src.count)
                    var amax: Float = 0
                    for i in start..<end {
                        guard src[i].isFinite else { return false }
                        amax = max(amax, abs(src[i]))
                    }
                    // Quantize with the scale as stored (f16), so that d · q is the nearest grid value.
                    let d = Float16(amax / 127)
                    guard d.isFinite else { return false }
                    let scale = Float(d)
                    let inverse: Float = scale > 0 ? 1 / scale : 0
                    let o = b * blockBytes
                    dst.storeBytes(of: d.bitPattern.littleEndian, toByteOffset: o, as: UInt16.self)
                    for i in start..<end {
                        let q = max(-127, min(127, (src[i] * inverse).rounded()))
                        dst[o + 2 + i - start] = UInt8(bitPattern: Int8(q))
                    }
                }
                return true
            }
        }
        return ok ? out : nil
    }

    static func scale(block b: Int, in raw: UnsafeRawBufferPointer) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: b * blockBytes, as: UInt16.self))))
    }

    static func value(_ i: Int, in raw: UnsafeRawBufferPointer) -> Float {
        let b = i / blockValues
        return scale(block: b, in: raw) * Float(Int8(bitPattern: raw[b * blockBytes + 2 + i % blockValues]))
    }

    static func decode(_ raw: UnsafeRawBufferPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { out, n in
            var i = 0
            while i < count {
                let b = i / blockValues, o = b * blockBytes + 2
                let d = scale(block: b, in: raw)
                for k in 0..<min(blockValues, count - i) {
                    out[i + k] = d * Float(Int8(bitPattern: raw[o + k]))
                }
                i += blockValues
            }
            n = count
        }
    }

    /// A NaN or infinite scale would turn a whole block into NaN; it is corruption, not data.
    static func checkScales(_ raw: UnsafeRawBufferPointer) throws {
        for b in 0..<(raw.count / blockBytes) {
            let d = scale(block: b, in: raw)
            if !d.isFinite { throw BlobError("q8_0 block \(b) has a non-finite scale (\(d))") }
        }
    }
}
