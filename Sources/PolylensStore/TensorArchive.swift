import CZlib
import Foundation
import PolylensModel

/// One named tensor of an export: little-endian element bytes in row-major order, or fixed-width strings.
public struct ExportTensor: Sendable, Equatable {
    public enum Elements: Sendable, Equatable {
        case numbers(BlobDType, Data)
        /// npz stores these as a numpy `<U` array; safetensors, which has no string dtype, as JSON metadata.
        case strings([String])
    }

    public let name: String
    public let shape: [Int]
    public let elements: Elements

    public init<T>(_ name: String, _ values: [T], dtype: BlobDType, shape: [Int]? = nil) {
        self.name = name
        self.shape = shape ?? [values.count]
        precondition(self.shape.reduce(1, *) == values.count && MemoryLayout<T>.stride == dtype.byteWidth)
        elements = .numbers(dtype, values.withUnsafeBytes { Data($0) })
    }

    public init(_ name: String, strings: [String]) {
        self.name = name
        shape = [strings.count]
        elements = .strings(strings)
    }
}

/// Archives other tools read without Polylens: numpy's `.npz` (a stored, uncompressed zip of `.npy` v1.0
/// files, read by `numpy.load`) and safetensors (8-byte header length, JSON header, raw bytes).
public enum TensorArchive {
    public static func npz(_ tensors: [ExportTensor]) throws -> Data {
        var zip = ZipWriter()
        for t in tensors { try zip.add(t.name + ".npy", npy(t)) }
        return try zip.finish()
    }

    /// `.npy` v1.0: magic, version, header length, a Python dict literal padded so the data starts at a
    /// multiple of 64 bytes.
    static func npy(_ t: ExportTensor) -> Data {
        let descr: String, body: Data
        switch t.elements {
        case .numbers(let dtype, let data):
            descr = ["f16": "<f2", "f32": "<f4", "f64": "<f8", "i64": "<i8", "i32": "<i4"][dtype.name] ?? "|u1"
            body = data
        case .strings(let strings):
            let width = max(1, strings.map { $0.unicodeScalars.count }.max() ?? 1)
            descr = "<U\(width)"
            var d = Data(capacity: strings.count * width * 4)
            for s in strings {
                var scalars = s.unicodeScalars.map(\.value)
                scalars += [UInt32](repeating: 0, count: width - scalars.count)
                scalars.withUnsafeBytes { d.append(contentsOf: $0) }
            }
            body = d
        }
        let shape = t.shape.count == 1 ? "(\(t.shape[0]),)" : "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        append(UInt16(header.utf8.count), to: &out)
        out.append(contentsOf: header.utf8)
        out.append(body)
        return out
    }

    /// safetensors with the tensors in name order (as safetensors' own writer); string tensors and `metadata`
    /// go into `__metadata__` (strings as JSON arrays).
    public static func safetensors(_ tensors: [ExportTensor], metadata: [String: String] = [:]) -> Data {
        var meta = metadata
        var header = ""
        var offset = 0
        var bodies: [Data] = []
        for t in tensors.sorted(by: { $0.name < $1.name }) {
            switch t.elements {
            case .strings(let strings):
                meta[t.name] = "[" + strings.map(JSONValue.quoted).joined(separator: ",") + "]"
            case .numbers(let dtype, let data):
                let name = ["f16": "F16", "f32": "F32", "f64": "F64", "i64": "I64", "i32": "I32"][dtype.name] ?? "U8"
                header += ",\(JSONValue.quoted(t.name)):{\"dtype\":\"\(name)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],"
                    + "\"data_offsets\":[\(offset),\(offset + data.count)]}"
                offset += data.count
                bodies.append(data)
            }
        }
        let metaJSON = meta.keys.sorted().map { "\(JSONValue.quoted($0)):\(JSONValue.quoted(meta[$0]!))" }.joined(separator: ",")
        header = "{\"__metadata__\":{\(metaJSON)}" + header + "}"
        while header.utf8.count % 8 != 0 { header += " " }
        var out = Data()
        append(UInt64(header.utf8.count), to: &out)
        out.append(contentsOf: header.utf8)
        for b in bodies { out.append(b) }
        return out
    }
}

/// A zip archive of stored (uncompressed) entries, as `numpy.savez` writes; sizes up to 4 GiB (no zip64).
struct ZipWriter {
    private var data = Data()
    private var central = Data()
    private var entries = 0

    mutating func add(_ name: String, _ content: Data) throws {
        guard content.count < Int(UInt32.max), data.count < Int(UInt32.max) else {
            throw PolylensFileError("\(name): npz entries over 4 GiB are not supported; export fewer layers or languages")
        }
        let crc = content.withUnsafeBytes { raw in UInt32(crc32(0, raw.bindMemory(to: Bytef.self).baseAddress, uInt(raw.count))) }
        let offset = UInt32(data.count)
        // version 2.0, no flags, stored, DOS time 00:00 on 1980-01-01
        func common(_ d: inout Data) {
            for v: UInt16 in [20, 0, 0, 0, 0x21] { append(v, to: &d) }
            append(crc, to: &d)
            append(UInt32(content.count), to: &d)
            append(UInt32(content.count), to: &d)
            append(UInt16(name.utf8.count), to: &d)
            append(UInt16(0), to: &d)
        }
        append(UInt32(0x0403_4B50), to: &data)
        common(&data)
        data.append(contentsOf: name.utf8)
        data.append(content)
        append(UInt32(0x0201_4B50), to: &central)
        append(UInt16(20), to: &central)
        common(&central)
        for v: UInt16 in [0, 0, 0] { append(v, to: &central) }  // comment length, disk, internal attributes
        append(UInt32(0), to: &central)                            // external attributes
        append(offset, to: &central)
        central.append(contentsOf: name.utf8)
        entries += 1
    }

    mutating func finish() throws -> Data {
        let start = UInt32(data.count)
        data.append(central)
        append(UInt32(0x0605_4B50), to: &data)
        for v: UInt16 in [0, 0, UInt16(entries), UInt16(entries)] { append(v, to: &data) }
        append(UInt32(central.count), to: &data)
        append(start, to: &data)
        append(UInt16(0), to: &data)
        return data
    }
}

private func append<T: FixedWidthInteger>(_ v: T, to data: inout Data) {
    withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) }
}
