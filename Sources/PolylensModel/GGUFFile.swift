import Foundation

/// One metadata value of a GGUF file.
public indirect enum GGUFValue: Sendable {
    case uint(UInt64), int(Int64), float(Double), bool(Bool), string(String), array([GGUFValue])

    public var int: Int? {
        switch self {
        case .uint(let v): return Int(exactly: v)
        case .int(let v): return Int(exactly: v)
        default: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .float(let v): return v
        case .uint(let v): return Double(v)
        case .int(let v): return Double(v)
        default: return nil
        }
    }
    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var array: [GGUFValue]? { if case .array(let a) = self { return a } else { return nil } }
}

extension GGUFValue: CustomStringConvertible {
    /// The value as a message shows it: numbers as numbers, strings as short printable excerpts, arrays by size.
    public var description: String {
        switch self {
        case .uint(let v): return "\(v)"
        case .int(let v): return "\(v)"
        case .float(let v): return "\(v)"
        case .bool(let v): return "\(v)"
        case .string(let s): return "\"\(s.printableExcerpt(limit: 40))\""
        case .array(let a): return "an array of \(a.count)"
        }
    }
}

/// A GGUF v2/v3 file: its metadata and the directory of its tensors (read in place, not copied).
/// The model loader and the tokenizer loader both start here.
public final class GGUFFile: @unchecked Sendable {
    public struct TensorInfo: Sendable {
        public let name: String
        /// GGUF order: `dims[0]` is the fastest-varying (columns of a matrix).
        public let dims: [Int]
        public let dtype: DType
        public let offset: Int
    }

    public let file: MappedFile
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    public let tensors: [String: TensorInfo]
    public let tensorOrder: [String]
    public let dataOffset: Int

    public convenience init(_ url: URL) throws { try self.init(try MappedFile(url)) }

    public init(_ file: MappedFile) throws {
        self.file = file
        let url = file.url
        var r = ByteReader(file)
        guard file.count >= 4, try r.read(UInt32.self, "magic") == 0x4655_4747 else {
            throw ModelFileError(url, "not a GGUF file (wrong magic)")
        }
        version = try r.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw ModelFileError(url, "unsupported GGUF version \(version)") }
        let nTensors = try r.read(UInt64.self, "tensor count")
        let nKV = try r.read(UInt64.self, "metadata count")
        // Every entry takes at least a few bytes, so counts beyond the file size are corruption, not data.
        guard nTensors < UInt64(file.count), nKV < UInt64(file.count) else {
            throw ModelFileError(url, "corrupt header: \(nTensors) tensors, \(nKV) metadata entries")
        }
        var meta: [String: GGUFValue] = [:]
        for _ in 0..<nKV {
            let key = try Self.string(&r)
            let type = try r.read(UInt32.self, "type of \(key)")
            // A second value under the same key would silently replace the first.
            guard meta[key] == nil else { throw ModelFileError(url, "metadata key \(key) appears twice") }
            meta[key] = try Self.value(&r, type: type, key: key)
        }
        metadata = meta
        var infos: [String: TensorInfo] = [:]
        var order: [String] = []
        for _ in 0..<nTensors {
            let name = try Self.string(&r)
            let nDims = try r.read(UInt32.self, "dimensions of \(name)")
            guard nDims <= 4 else { throw ModelFileError(url, "tensor \(name) has \(nDims) dimensions") }
            var dims: [Int] = []
            for _ in 0..<nDims {
                let d = try r.read(UInt64.self, "shape of \(name)")
                guard d < UInt64(Int32.max) else { throw ModelFileError(url, "tensor \(name) has dimension \(d)") }
                dims.append(Int(d))
            }
            let t = try r.read(UInt32.self, "type of \(name)")
            let dtype: DType
            switch t {
            case 0: dtype = .f32
            case 1: dtype = .f16
            case 8: dtype = .q8_0
            case 30: dtype = .bf16
            default: throw ModelFileError(url, "tensor \(name) has unsupported ggml type \(t) (F32, F16, BF16 and Q8_0 are read)")
            }
            let off = try r.read(UInt64.self, "offset of \(name)")
            // Checked here so that later offset and size arithmetic cannot overflow.
            var elements = 1
            for d in dims {
                let (p, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, p <= file.count else {
                    throw ModelFileError(url, "truncated: tensor \(name) of shape \(dims) cannot fit in the file (\(file.count) bytes)")
                }
                elements = p
            }
            guard off <= UInt64(Int.max >> 2) else { throw ModelFileError(url, "tensor \(name) has corrupt offset \(off)") }
            guard infos[name] == nil else { throw ModelFileError(url, "tensor \(name) appears twice") }
            infos[name] = TensorInfo(name: name, dims: dims, dtype: dtype, offset: Int(off))
            order.append(name)
        }
        tensors = infos
        tensorOrder = order
        let alignment = try Self.alignment(meta, url: url)
        dataOffset = (r.offset + alignment - 1) / alignment * alignment
        try Self.checkLayout(infos.values, dataOffset: dataOffset, alignment: alignment, file: file)
    }

    /// `general.alignment`: a power of two (llama.cpp's rule), 32 when absent. Anything else is refused rather
    /// than replaced by the default, since every tensor offset depends on it.
    private static func alignment(_ meta: [String: GGUFValue], url: URL) throws -> Int {
        guard let v = meta["general.alignment"] else { return 32 }
        guard let a = v.int, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
            throw ModelFileError(url, "general.alignment \(v) is not a power of two up to 2^20")
        }
        return a
    }

    /// Every tensor aligned, inside the file and apart from every other: a crafted table could otherwise make
    /// two weights share bytes or make a tensor straddle the file's end.
    private static func checkLayout(_ infos: some Collection<TensorInfo>, dataOffset: Int, alignment: Int,
                                    file: MappedFile) throws {
        let url = file.url
        var end = 0
        var previous = ""
        for t in infos.sorted(by: { ($0.offset, $0.name) < ($1.offset, $1.name) }) {
            // Elements are read through typed pointers: alignment 1 or 2 must not leave an f32 tensor misaligned.
            let element = t.dtype == .f32 ? 4 : t.dtype == .q8_0 ? 1 : 2
            guard t.offset % alignment == 0, (dataOffset + t.offset) % element == 0 else {
                throw ModelFileError(url, "tensor \(t.name) at data offset \(t.offset) is not aligned to \(max(alignment, element)) bytes")
            }
            let bytes = t.dtype.byteCount(elements: t.dims.reduce(1, *))
            guard t.offset >= end else {
                throw ModelFileError(url, "tensor \(t.name) (data bytes \(t.offset)..<\(t.offset + bytes)) overlaps tensor \(previous)")
            }
            guard dataOffset <= file.count, t.offset <= file.count - dataOffset, bytes <= file.count - dataOffset - t.offset else {
                throw ModelFileError(url, "truncated: tensor \(t.name) needs bytes \(dataOffset + t.offset)..<\(dataOffset + t.offset + bytes) but the file has \(file.count)")
            }
            if bytes > 0 { end = t.offset + bytes; previous = t.name }
        }
    }

    /// The bytes of one tensor, checked against the file's end.
    public func tensor(_ name: String) throws -> TensorView {
        guard let info = tensors[name] else { throw ModelFileError(file.url, "missing tensor \(name)") }
        let count = info.dims.reduce(1, *)
        if info.dtype == .q8_0, count % 32 != 0 {
            throw ModelFileError(file.url, "tensor \(name): Q8_0 needs a multiple of 32 elements, has \(count)")
        }
        let data = try file.slice(dataOffset + info.offset, info.dtype.byteCount(elements: count), what: "tensor \(name)")
        return TensorView(name: name, dtype: info.dtype, shape: info.dims.reversed(), data: data)
    }

    private static func string(_ r: inout ByteReader) throws -> String {
        let n = try r.read(UInt64.self, "string length")
        guard n <= UInt64(r.file.count - r.offset) else {
            throw ModelFileError(r.file.url, "truncated: a string of \(n) bytes at byte \(r.offset) runs past the end of the file (\(r.file.count) bytes)")
        }
        let b = try r.bytes(Int(n), "string")
        return String(decoding: b, as: UTF8.self)
    }

    /// Arrays may hold arrays (the GGUF spec allows it) but only this deep: recursion on a crafted file 40,000
    /// arrays deep would overflow the stack.
    static let maxArrayDepth = 4

    /// Smallest encoding of one value of `type`, to check an array's count against the bytes left.
    private static func minimumSize(_ type: UInt32) -> Int {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 8, 10, 11, 12: return 8
        case 9: return 12
        default: return 1
        }
    }

    private static func value(_ r: inout ByteReader, type: UInt32, key: String, depth: Int = 0) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try r.read(UInt8.self, key)))
        case 1: return .int(Int64(try r.read(Int8.self, key)))
        case 2: return .uint(UInt64(try r.read(UInt16.self, key)))
        case 3: return .int(Int64(try r.read(Int16.self, key)))
        case 4: return .uint(UInt64(try r.read(UInt32.self, key)))
        case 5: return .int(Int64(try r.read(Int32.self, key)))
        case 6: return .float(Double(try r.f32(key)))
        case 7: return .bool(try r.read(UInt8.self, key) != 0)
        case 8: return .string(try string(&r))
        case 9:
            let et = try r.read(UInt32.self, key)
            let n = try r.read(UInt64.self, key)
            guard et != 9 || depth < maxArrayDepth else {
                throw ModelFileError(r.file.url, "metadata \(key) nests arrays more than \(maxArrayDepth) deep")
            }
            // Checked before reserving: every element takes at least minimumSize bytes.
            guard n <= UInt64((r.file.count - r.offset) / minimumSize(et)) else {
                throw ModelFileError(r.file.url, "truncated: \(key) has \(n) entries but the file ends \(r.file.count - r.offset) bytes later")
            }
            var out: [GGUFValue] = []
            out.reserveCapacity(Int(n))
            for _ in 0..<n { out.append(try value(&r, type: et, key: key, depth: depth + 1)) }
            return .array(out)
        case 10: return .uint(try r.read(UInt64.self, key))
        case 11: return .int(try r.read(Int64.self, key))
        case 12: return .float(try r.f64(key))
        default: throw ModelFileError(r.file.url, "unknown metadata type \(type) for \(key)")
        }
    }
}
