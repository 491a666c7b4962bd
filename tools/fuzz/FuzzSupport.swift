import Foundation

/// Shared by every harness: the parsers read files (memory-mapped, by name), so each input is written to a
/// scratch directory of this process under the name the parser expects. run.sh points TMPDIR at the
/// build folder and removes it afterwards.
enum FuzzInput {
    static let directory: URL = {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        let d = URL(fileURLWithPath: base).appendingPathComponent("polylens-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    /// Writes the input to `directory/name` (replacing the last one) and returns its URL.
    static func file(_ data: UnsafePointer<UInt8>, _ size: Int, named name: String) -> URL {
        let url = directory.appendingPathComponent(name)
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot write \(url.path)")
        var written = 0
        while written < size {
            let n = write(fd, data + written, size - written)
            precondition(n > 0, "cannot write \(url.path)")
            written += n
        }
        close(fd)
        return url
    }

}
