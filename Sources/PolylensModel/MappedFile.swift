import Foundation

/// A read-only memory map of a whole file: model weights are read in place, never copied whole.
public final class MappedFile: @unchecked Sendable {
    public let url: URL
    public let bytes: UnsafeRawBufferPointer

    public init(_ url: URL) throws {
        self.url = url
        // O_NONBLOCK: opening a FIFO must fail below, not wait forever for a writer.
        let fd = open(url.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw ModelFileError(url, "cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelFileError(url, "cannot stat") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw ModelFileError(url, "not a regular file (a FIFO, device, socket or directory)")
        }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw ModelFileError(url, "cannot map into memory")
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    public var count: Int { bytes.count }

    /// The whole content of a small file (JSON configs, rank lists), read through the same regular-file check.
    public static func contents(_ url: URL) throws -> Data {
        let file = try MappedFile(url)
        return file.count == 0 ? Data() : Data(bytes: file.bytes.baseAddress!, count: file.count)
    }

    /// A sub-range, checked against the file's size so that truncated files fail cleanly.
    public func slice(_ offset: Int, _ length: Int, what: String) throws -> UnsafeRawBufferPointer {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw ModelFileError(url, "truncated: \(what) needs bytes \(offset)..<\(offset + length) but the file has \(count)")
        }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }
}

/// The one error type for unreadable model and tokenizer files; its description is the one-line message users see.
public struct ModelFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let problem: String
    /// Both parts are cut to printable excerpts: problems quote names and strings read from the file.
    public init(_ url: URL, _ problem: String) { self.init(path: url.path, problem) }
    public init(path: String, _ problem: String) {
        self.path = path.printableExcerpt(limit: 1024)
        self.problem = problem.printableExcerpt(limit: 400)
    }
    public var description: String { "\(path): \(problem)" }
}

/// Little-endian cursor over a mapped file, used by every binary format reader.
public struct ByteReader {
    public let file: MappedFile
    public var offset: Int

    public init(_ file: MappedFile, offset: Int = 0) { self.file = file; self.offset = offset }

    public mutating func bytes(_ n: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        let s = try file.slice(offset, n, what: what)
        offset += n
        return s
    }

    public mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        let s = try bytes(MemoryLayout<T>.size, what)
        return T(littleEndian: s.loadUnaligned(as: T.self))
    }

    public mutating func f32(_ what: String) throws -> Float { Float(bitPattern: try read(UInt32.self, what)) }
    public mutating func f64(_ what: String) throws -> Double { Double(bitPattern: try read(UInt64.self, what)) }
}
