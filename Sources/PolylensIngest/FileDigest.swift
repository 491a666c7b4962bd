import Foundation
import Crypto

/// sha256 of files read in chunks, so a 13 GB checkpoint is hashed without mapping it into memory at once.
public enum FileDigest {
    /// Lower-case hex sha256 of the file's bytes.
    public static func sha256(_ url: URL) throws -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw IngestError("\(url.path): unreadable (\(String(cString: strerror(errno))))")
        }
        defer { try? handle.close() }
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
