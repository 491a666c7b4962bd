import Foundation
import Crypto
import PolylensModel

/// sha256 of files read in chunks, so a 13 GB checkpoint is hashed without mapping it into memory at once.
public enum FileDigest {
    /// Lower-case hex sha256 of the file's bytes. Only a regular file is read: paths come from files someone
    /// else wrote, and a FIFO would block forever (O_NONBLOCK makes opening one return at once).
    public static func sha256(_ url: URL) throws -> String {
        let fd = open(url.path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw IngestError("\(url.path.printableExcerpt(limit: 200)): unreadable (\(String(cString: strerror(errno))))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw IngestError("\(url.path.printableExcerpt(limit: 200)): not a regular file (a FIFO, device, socket or directory)")
        }
        var hasher = SHA256()
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 4 << 20) } catch {
                throw IngestError("\(url.path): read failed (\(error.localizedDescription))")
            }
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// One file: its sha256. Several (config and shards): `name=sha256` for each, comma-separated, in order.
    public static func sha256(of files: [URL]) throws -> String {
        if files.count == 1 { return try sha256(files[0]) }
        return try files.map { "\($0.lastPathComponent)=\(try sha256($0))" }.joined(separator: ",")
    }
}
