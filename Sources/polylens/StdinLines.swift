import Foundation

/// Lines of stdin as raw bytes (no trailing newline or CR), so that callers can refuse invalid UTF-8
/// instead of reading it silently repaired.
final class StdinLines: IteratorProtocol {
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0

    deinit { free(buffer) }

    func next() -> [UInt8]? {
        let n = getline(&buffer, &capacity, stdin)
        guard n >= 0, let buffer else { return nil }
        var bytes = Array(UnsafeRawBufferPointer(start: buffer, count: n))
        if bytes.last == 0x0A { bytes.removeLast() }
        if bytes.last == 0x0D { bytes.removeLast() }
        return bytes
    }
}
