import Foundation
import PolylensModel
import XCTest

/// A golden fixture written by tools/make_bpe_goldens.py: per paper text, its file, field and the reference
/// ids (base64 of LEB128 varints). The texts themselves are read from ../shared in place.
struct GoldenFixture {
    struct Item {
        let file: String
        let field: String
        let text: String
        /// One id list per column after the field (`=` repeats the previous column).
        let ids: [[Int]]
    }

    let items: [Item]

    init(_ name: String) throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "txt", subdirectory: "Fixtures"))
        let root = SharedFiles.url("data/paper/code_snippets")
        var documents: [String: [String: Any]] = [:]
        var items: [Item] = []
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard cols.count >= 3 else { throw ModelFileError(url, "malformed line \(line)") }
            if documents[cols[0]] == nil {
                let data = try Data(contentsOf: root.appendingPathComponent(cols[0]))
                documents[cols[0]] = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            }
            let text = try XCTUnwrap(documents[cols[0]]?[cols[1]] as? String, "\(cols[0]) \(cols[1])")
            var lists: [[Int]] = []
            for c in cols[2...] { lists.append(c == "=" ? lists.last ?? [] : try Self.varints(c, url)) }
            items.append(Item(file: cols[0], field: cols[1], text: text, ids: lists))
        }
        self.items = items
    }

    private static func varints(_ base64: String, _ url: URL) throws -> [Int] {
        guard let data = Data(base64Encoded: base64) else { throw ModelFileError(url, "bad base64 \(base64)") }
        var out: [Int] = []
        var value = 0, shift = 0
        for b in data {
            value |= Int(b & 0x7F) << shift
            if b & 0x80 == 0 { out.append(value); value = 0; shift = 0 } else { shift += 7 }
        }
        return out
    }
}
