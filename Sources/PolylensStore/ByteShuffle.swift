/// The byte-shuffle filter (HDF5, Blosc): for n elements of width w, stored[k·n + i] = raw[i·w + k].
/// Floats of similar magnitude share sign/exponent bytes and integers share zero high bytes; grouped by
/// byte position they become runs that LZ4 compresses, where interleaved they look random.
enum ByteShuffle {
    static func shuffle(_ raw: UnsafeRawBufferPointer, width w: Int) -> [UInt8] {
        let n = raw.count / w
        return [UInt8](unsafeUninitializedCapacity: raw.count) { out, count in
            for k in 0..<w {
                for i in 0..<n { out[k * n + i] = raw[i * w + k] }
            }
            // A tail shorter than one element (never produced by the codec) is kept as is.
            for j in (n * w)..<raw.count { out[j] = raw[j] }
            count = raw.count
        }
    }

    static func unshuffle(_ stored: UnsafeRawBufferPointer, width w: Int) -> [UInt8] {
        let n = stored.count / w
        return [UInt8](unsafeUninitializedCapacity: stored.count) { out, count in
            for k in 0..<w {
                for i in 0..<n { out[i * w + k] = stored[k * n + i] }
            }
            for j in (n * w)..<stored.count { out[j] = stored[j] }
            count = stored.count
        }
    }
}
