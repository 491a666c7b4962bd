import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way commands write a file (`--out`, `--plot`, `report`): all or nothing. The bytes go to a
/// temporary file beside the destination, every write and the close are checked, and only a complete file
/// is renamed into place; on failure the temporary file is removed and the error names the path and the
/// system's reason ("No space left on device", "File too large").
enum OutputFile {
    static func write(_ data: Data, to path: String, what: String = "") throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let label = what.isEmpty ? "" : " the \(what)"
        var template = Array((directory + "/.\(url.lastPathComponent).XXXXXX").utf8CString)
        let fd = mkstemp(&template)
        guard fd >= 0 else { throw CLIError("\(path): cannot write\(label): \(String(cString: strerror(errno)))") }
        let temporary = String(cString: template)
        var failure: Int32 = 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, failure == 0 {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { failure = n < 0 ? errno : EIO }
            }
        }
        if fchmod(fd, 0o644) != 0, failure == 0 { failure = errno }
        if close(fd) != 0, failure == 0 { failure = errno }
        if failure == 0, rename(temporary, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temporary)
            throw CLIError("\(path): cannot write\(label): \(String(cString: strerror(failure)))")
        }
    }
}
