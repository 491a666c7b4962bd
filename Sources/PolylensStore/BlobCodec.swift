import CLZ4
import CZlib
import Foundation

#if _endian(big)
#error("The blob encoding is little-endian and the codec copies host memory as is.")
#endif

/// Element type of a stored tensor; the raw value is the byte written in the blob header.
/// `q8_0` is GGUF's 8-bit block format (Q8_0.swift): 34 bytes per 32 values, decoded to Float.
public enum BlobDType: UInt8, Sendable, CaseIterable {
    case f16 = 1, f32 = 2, f64 = 3, i64 = 4, i32 = 5, q8_0 = 6

    /// Bytes per element; for q8_0 the width of a block's int8 values (a block adds its 2-byte scale).
    public var byteWidth: Int {
        switch self {
        case .q8_0: 1
        case .f16: 2
        case .f32, .i32: 4
        case .f64, .i64: 8
        }
    }

    /// Uncompressed bytes of `count` elements.
    public func rawBytes(count: Int) -> Int {
        self == .q8_0 ? Q8_0.byteCount(values: count) : count * byteWidth
    }

    public var name: String { String(describing: self) }
}

/// A reversible transform of the element bytes before LZ4 (header byte 6). The CRC covers the bytes before it.
public enum BlobFilter: UInt8, Sendable, CaseIterable {
    case none = 0
    /// HDF5/Blosc byte shuffle: all first bytes of the elements, then all second bytes, …
    /// Exponents and high bytes of nearby numbers line up into runs LZ4 can find.
    case shuffle = 1

    public var name: String { String(describing: self) }
}

public struct BlobError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A decoded tensor: its element type, shape and little-endian element bytes (q8_0: the blocks).
public struct Blob: Sendable {
    public let dtype: BlobDType
    public let shape: [Int]
    public let bytes: [UInt8]

    public var count: Int { shape.reduce(1, *) }

    /// Element `i` widened to Double, whatever the stored type.
    public func element(_ i: Int) -> Double {
        bytes.withUnsafeBytes { raw in
            switch dtype {
            case .q8_0: Double(Q8_0.value(i, in: raw))
            case .f16: Double(Float(raw.loadUnaligned(fromByteOffset: i * 2, as: Float16.self)))
            case .f32: Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
            case .f64: raw.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
            case .i64: Double(raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
            case .i32: Double(raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
            }
        }
    }

    public func floats() throws -> [Float] {
        switch dtype {
        case .f32: return values(Float.self)
        case .f16: return values(Float16.self).map(Float.init)
        case .q8_0: return bytes.withUnsafeBytes { Q8_0.decode($0, count: count) }
        default: throw BlobError("expected a float blob, found \(dtype.name)")
        }
    }

    public func doubles() throws -> [Double] {
        guard dtype == .f64 else { throw BlobError("expected an f64 blob, found \(dtype.name)") }
        return values(Double.self)
    }

    public func int64s() throws -> [Int64] {
        guard dtype == .i64 else { throw BlobError("expected an i64 blob, found \(dtype.name)") }
        return values(Int64.self)
    }

    public func int32s() throws -> [Int32] {
        guard dtype == .i32 else { throw BlobError("expected an i32 blob, found \(dtype.name)") }
        return values(Int32.self)
    }

    private func values<T>(_: T.Type) -> [T] {
        [T](unsafeUninitializedCapacity: count) { buffer, n in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            }
            n = count
        }
    }
}

public struct BlobHeader: Sendable, Equatable {
    public let dtype: BlobDType
    public let filter: BlobFilter
    public let shape: [Int]
    /// Uncompressed element bytes.
    public let rawBytes: Int
    let headerBytes: Int
}

/// The on-disk encoding of one tensor (Schema/FORMAT.md):
/// `"PLB1"`, dtype u8, rank u8, filter u8, zero u8, rank × u64 dims, u64 uncompressed byte count,
/// one LZ4 block of the (filtered) bytes, u32 CRC32 of the unfiltered uncompressed bytes. All little-endian.
public enum BlobCodec {
    public static let magic: [UInt8] = Array("PLB1".utf8)

    /// Floats as f16, f32, f64 or q8_0. A tensor q8_0 cannot hold (a non-finite value, or a block scale beyond
    /// f16's range) is stored as f32 instead, losslessly: the dtype in the header always says which.
    public static func encode(_ values: [Float], as dtype: BlobDType = .f32, shape: [Int]? = nil,
                              filter: BlobFilter = .none) -> Data {
        switch dtype {
        case .f16: return encode(values.map { Float16($0) }, dtype: .f16, shape: shape, filter: filter)
        case .f32: return encode(values, dtype: .f32, shape: shape, filter: filter)
        case .f64: return encode(values.map(Double.init), dtype: .f64, shape: shape, filter: filter)
        case .q8_0:
            guard let blocks = Q8_0.encode(values) else { return encode(values, dtype: .f32, shape: shape, filter: filter) }
            let shape = shape ?? [values.count]
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
            return blocks.withUnsafeBytes { encode($0, dtype: .q8_0, shape: shape, filter: .none) }
        case .i64, .i32: preconditionFailure("floats cannot be stored as \(dtype.name)")
        }
    }

    public static func encode(_ values: [Double], shape: [Int]? = nil, filter: BlobFilter = .none) -> Data {
        encode(values, dtype: .f64, shape: shape, filter: filter)
    }
    public static func encode(_ values: [Int64], shape: [Int]? = nil, filter: BlobFilter = .none) -> Data {
        encode(values, dtype: .i64, shape: shape, filter: filter)
    }
    public static func encode(_ values: [Int32], shape: [Int]? = nil, filter: BlobFilter = .none) -> Data {
        encode(values, dtype: .i32, shape: shape, filter: filter)
    }

    private static func encode<T>(_ values: [T], dtype: BlobDType, shape: [Int]?, filter: BlobFilter) -> Data {
        let shape = shape ?? [values.count]
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        return values.withUnsafeBytes { raw in encode(raw, dtype: dtype, shape: shape, filter: filter) }
    }

    /// Logical bytes as they are (q8_0: the blocks), with no check of their values.
    static func encode(_ raw: UnsafeRawBufferPointer, dtype: BlobDType, shape: [Int], filter: BlobFilter) -> Data {
        precondition(dtype != .q8_0 || filter == .none, "q8_0 blocks are stored unfiltered")
        var out = Data(magic)
        out.append(dtype.rawValue)
        out.append(UInt8(shape.count))
        out.append(contentsOf: [filter.rawValue, 0])
        for d in shape { append(UInt64(d), to: &out) }
        append(UInt64(raw.count), to: &out)
        let filtered: [UInt8]? = filter == .shuffle ? ByteShuffle.shuffle(raw, width: dtype.byteWidth) : nil
        let bound = Int(LZ4_compressBound(Int32(raw.count)))
        var block = [UInt8](repeating: 0, count: bound)
        let compress = { (src: UnsafeRawBufferPointer) in
            block.withUnsafeMutableBytes { dst in
                LZ4_compress_default(src.baseAddress?.assumingMemoryBound(to: CChar.self),
                                     dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                                     Int32(src.count), Int32(bound))
            }
        }
        let written = filtered.map { $0.withUnsafeBytes(compress) } ?? compress(raw)
        precondition(written > 0 || raw.count == 0, "LZ4 failed on \(raw.count) bytes")
        out.append(contentsOf: block[0..<Int(written)])
        append(crc(raw), to: &out)
        return out
    }

    /// Decodes and checks a blob; every failure names what is wrong.
    public static func decode(_ data: Data) throws -> Blob {
        try data.withUnsafeBytes { raw in try decode(raw) }
    }

    /// The header alone, without decompressing (sizes for `polylens info`).
    public static func header(_ data: Data) throws -> BlobHeader {
        try data.withUnsafeBytes { raw in try header(raw) }
    }

    public static func header(_ raw: UnsafeRawBufferPointer) throws -> BlobHeader {
        guard raw.count >= 8, Array(raw[0..<4]) == magic else {
            throw BlobError("not a Polylens blob (bad magic)")
        }
        guard let dtype = BlobDType(rawValue: raw[4]) else { throw BlobError("unknown dtype \(raw[4])") }
        guard let filter = BlobFilter(rawValue: raw[6]) else { throw BlobError("unknown filter \(raw[6])") }
        guard dtype != .q8_0 || filter == .none else { throw BlobError("filter \(filter.name) on q8_0 (q8_0 blocks are stored unfiltered)") }
        guard raw[7] == 0 else { throw BlobError("reserved header byte 7 is \(raw[7]), not 0") }
        let rank = Int(raw[5])
        let headerSize = 8 + 8 * rank + 8
        guard raw.count >= headerSize + 4 else { throw BlobError("truncated header (\(raw.count) bytes)") }
        var shape: [Int] = []
        for k in 0..<rank {
            let d = raw.loadUnaligned(fromByteOffset: 8 + 8 * k, as: UInt64.self)
            guard d < UInt64(Int32.max) else { throw BlobError("implausible dimension \(d)") }
            shape.append(Int(d))
        }
        let size = raw.loadUnaligned(fromByteOffset: 8 + 8 * rank, as: UInt64.self)
        // Checked: rank 255 dimensions below 2^31 can wrap a plain product to any value, even the claimed size.
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, p <= Int.max / 8 else { throw BlobError("implausible shape \(shape.prefix(8)): more than 2^63 bytes") }
            count = p
        }
        let expected = dtype.rawBytes(count: count)
        guard size == UInt64(expected) else {
            throw BlobError("size mismatch: header says \(size) bytes, shape \(shape) of \(dtype.name) needs \(expected)")
        }
        return BlobHeader(dtype: dtype, filter: filter, shape: shape, rawBytes: expected, headerBytes: headerSize)
    }

    public static func decode(_ raw: UnsafeRawBufferPointer) throws -> Blob {
        let h = try header(raw)
        let (dtype, shape, expected, headerSize) = (h.dtype, h.shape, h.rawBytes, h.headerBytes)
        let block = UnsafeRawBufferPointer(rebasing: raw[headerSize..<(raw.count - 4)])
        // An LZ4 block expands at most 255-fold: a larger claim is a lie, refused before allocating it.
        guard expected <= Self.maxExpansion(ofBlock: block.count) else {
            throw BlobError("size mismatch: header claims \(expected) bytes, a \(block.count)-byte LZ4 block holds at most \(Self.maxExpansion(ofBlock: block.count))")
        }
        var bytes = [UInt8](repeating: 0, count: expected)
        let got = expected == 0 ? 0 : bytes.withUnsafeMutableBytes { dst in
            LZ4_decompress_safe(block.baseAddress?.assumingMemoryBound(to: CChar.self),
                                dst.baseAddress?.assumingMemoryBound(to: CChar.self),
                                Int32(block.count), Int32(expected))
        }
        guard got == expected else {
            throw BlobError(got < 0 ? "corrupt LZ4 block" : "size mismatch: LZ4 block holds \(got) bytes, header says \(expected)")
        }
        if h.filter == .shuffle {
            bytes = bytes.withUnsafeBytes { ByteShuffle.unshuffle($0, width: dtype.byteWidth) }
        }
        let stored = raw.loadUnaligned(fromByteOffset: raw.count - 4, as: UInt32.self)
        let actual = bytes.withUnsafeBytes { crc($0) }
        guard stored == actual else {
            throw BlobError(String(format: "CRC mismatch: stored %08x, computed %08x", stored, actual))
        }
        if dtype == .q8_0 { try bytes.withUnsafeBytes { try Q8_0.checkScales($0) } }
        return Blob(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// The most bytes an LZ4 block of `n` bytes can decode to (each literal/match sequence byte expands
    /// at most 255 times; the trailing 5 literals and the token add a small constant).
    static func maxExpansion(ofBlock n: Int) -> Int { n * 255 + 24 }

    private static func append<T: FixedWidthInteger>(_ v: T, to data: inout Data) {
        withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
    }

    private static func crc(_ raw: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = raw.baseAddress else { return UInt32(crc32(0, nil, 0)) }
        // zlib takes a UInt32 length; feed large tensors in chunks.
        var c = crc32(0, nil, 0)
        var offset = 0
        while offset < raw.count {
            let n = min(raw.count - offset, 1 << 30)
            c = crc32(c, base.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(n))
            offset += n
        }
        return UInt32(c)
    }
}
