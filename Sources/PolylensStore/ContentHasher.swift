import Crypto
import Foundation

/// SHA-256 over a sequence of fields, each length-prefixed so that no two sequences hash the same
/// bytes (a source path holding a tab or newline cannot shift the fields after it).
struct ContentHasher {
    private var hasher = SHA256()

    static func sha256(_ body: (inout ContentHasher) -> Void) -> String {
        var h = ContentHasher()
        body(&h)
        return h.hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    mutating func field(_ s: String?) {
        guard let s else { hasher.update(data: Data("-;".utf8)); return }
        hasher.update(data: Data("\(s.utf8.count):".utf8))
        hasher.update(data: Data(s.utf8))
    }

    mutating func field(_ n: Int) { field(String(n)) }

    /// i32 values little-endian, count first.
    mutating func field(_ ids: [Int32]) {
        field(ids.count)
        ids.map(\.littleEndian).withUnsafeBytes { hasher.update(bufferPointer: $0) }
    }
}
