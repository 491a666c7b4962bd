/// The byte-shuffle filter (HDF5, Blosc): for n elements of width w, stored[k·n + i] = raw[i·w + k].
/// Floats of similar magnitude share sign/exponent bytes and integers share zero high bytes; grouped by
/// byte position they become runs that LZ4 compresses, where interleaved they look random.
enum ByteShuffle {
    static func shuffle(_ raw: UnsafeRawBufferPointer, width w: Int) -> [UInt8] {
        transpose(raw, rows: raw.count / w, columns: w)
    }

    static func unshuffle(_ stored: UnsafeRawBufferPointer, width w: Int) -> [UInt8] {
        transpose(stored, rows: w, columns: stored.count / w)
    }

    /// A rows × columns byte matrix transposed; a tail shorter than one row (never written) is kept as is.
    private static func transpose(_ src: UnsafeRawBufferPointer, rows: Int, columns: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: src.count) { out, count in
            for r in 0..<rows {
                for c in 0..<columns { out[c * rows + r] = src[r * columns + c] }
            }
            for j in (rows * columns)..<src.count { out[j] = src[j] }
            count = src.count
        }
    }
}
