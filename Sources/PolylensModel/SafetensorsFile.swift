import Foundation

/// One `.safetensors` file: an 8-byte little-endian header length, a JSON header naming every tensor's
/// dtype, shape and byte range, then the tensor bytes, read in place.
public final class SafetensorsFile: @unchecked Sendable {
    public struct TensorInfo: Sendable, Equatable {
        public let name: String
        public let dtype: DType
        public let shape: [Int]
        /// Byte range relative to the start of the data section (`dataOffset`).
        public let range: Range<Int>
    }

    public let file: MappedFile
    /// The optional `__metadata__` string map.
    public let metadata: [String: String]
    public let tensors: [String: TensorInfo]
    /// Names in file order (by byte offset).
    public let tensorOrder: [String]
    /// Absolute offset of the data section: 8 + header length.
    public let dataOffset: Int

    public var url: URL { file.url }

    public convenience init(_ url: URL) throws { try self.init(try MappedFile(url)) }

    public init(_ file: MappedFile) throws {
        self.file = file
        let url = file.url
        var r = ByteReader(file)
        let headerLength = try r.read(UInt64.self, "safetensors header length")
        guard headerLength <= UInt64(file.count - 8) else {
            throw ModelFileError(url, "truncated: safetensors header length \(headerLength) exceeds the \(file.count - 8) bytes after it")
        }
        let headerBytes = try r.bytes(Int(headerLength), "safetensors header")
        dataOffset = r.offset
        let header: [String: JSONValue]
        do {
            guard let h = try JSONValue.read(Data(headerBytes)).object else { throw JSONSyntaxError(description: "not an object") }
            header = h
        } catch {
            throw ModelFileError(url, "not a safetensors file (header is not a JSON object: \(error))")
        }
        var meta: [String: String] = [:]
        var infos: [String: TensorInfo] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value.object else { throw ModelFileError(url, "__metadata__ is not an object") }
                for (k, v) in m { meta[k] = v.string ?? "\(v)" }
                continue
            }
            infos[name] = try Self.entry(name, value, url: url)
        }
        metadata = meta
        let order = infos.values.sorted { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        let available = file.count - dataOffset
        var end = 0
        for t in order {
            // Elements are read in place through typed pointers; the mapping starts on a page boundary.
            guard (dataOffset + t.range.lowerBound) % t.dtype.byteCount(elements: 1) == 0 else {
                throw ModelFileError(url, "tensor \(t.name) at data offset \(t.range.lowerBound) is not aligned to its \(t.dtype.byteCount(elements: 1))-byte elements")
            }
            guard t.range.lowerBound >= end else {
                throw ModelFileError(url, "tensor \(t.name) overlaps another tensor (bytes \(t.range.lowerBound)..<\(t.range.upperBound))")
            }
            guard t.range.upperBound <= available else {
                throw ModelFileError(url, "truncated: tensor \(t.name) needs data bytes \(t.range.lowerBound)..<\(t.range.upperBound) but the file has \(available)")
            }
            end = t.range.upperBound
        }
        tensors = infos
        tensorOrder = order.map(\.name)
    }

    /// The bytes of one tensor (ranges were checked at load).
    public func tensor(_ name: String) throws -> TensorView {
        guard let info = tensors[name] else { throw ModelFileError(url, "missing tensor \(name)") }
        let data = try file.slice(dataOffset + info.range.lowerBound, info.range.count, what: "tensor \(name)")
        return TensorView(name: name, dtype: info.dtype, shape: info.shape, data: data)
    }

    /// The safetensors dtype names this reader accepts, and their spelling in headers.
    public static func dtype(named s: String) -> DType? {
        switch s {
        case "F32": return .f32
        case "F16": return .f16
        case "BF16": return .bf16
        default: return nil
        }
    }

    public static func name(of dtype: DType) -> String? {
        switch dtype {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q8_0: return nil
        }
    }

    private static func entry(_ name: String, _ value: JSONValue, url: URL) throws -> TensorInfo {
        guard let e = value.object else { throw ModelFileError(url, "tensor \(name): header entry is not an object") }
        guard let dtypeName = e["dtype"]?.string else { throw ModelFileError(url, "tensor \(name): no dtype") }
        guard let dtype = dtype(named: dtypeName) else {
            throw ModelFileError(url, "tensor \(name) has unsupported dtype \(dtypeName) (F32, F16 and BF16 are read)")
        }
        guard let shape = integers(e["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
            throw ModelFileError(url, "tensor \(name): shape is not a list of non-negative integers")
        }
        guard let offsets = integers(e["data_offsets"]), offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
            throw ModelFileError(url, "tensor \(name): data_offsets is not [begin, end]")
        }
        var count = 1
        for d in shape {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw ModelFileError(url, "tensor \(name): shape \(shape) is too large") }
            count = p
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype == .f32 ? 4 : 2)
        guard !overflow, offsets[1] - offsets[0] == bytes else {
            throw ModelFileError(url, "tensor \(name): shape \(shape) \(dtypeName) needs \(count) elements but data_offsets span \(offsets[1] - offsets[0]) bytes")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, range: offsets[0]..<offsets[1])
    }

    private static func integers(_ v: JSONValue?) -> [Int]? {
        guard let a = v?.array else { return nil }
        var out: [Int] = []
        for x in a {
            guard case .int(let i) = x else { return nil }
            out.append(Int(i))
        }
        return out
    }
}
