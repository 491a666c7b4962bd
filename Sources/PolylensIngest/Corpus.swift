import Foundation
import Crypto

/// One document to ingest. File contents are read when ingest reaches them, so a large corpus is
/// never held in memory.
public struct CorpusDocument: Sendable {
    public enum Content: Sendable { case file(String), text(String) }
    public var language: String
    /// A path, `jsonl:FILE:LINE` or `parallel:LANG/ID`.
    public var source: String
    /// The parallel item id; nil for corpus documents.
    public var itemKey: String?
    public var content: Content
    /// Size in bytes (for progress and ETA).
    public var bytes: Int

    /// The UTF-8 text; bytes that are not UTF-8 become U+FFFD.
    public func text() throws -> String {
        switch content {
        case .text(let text): return text
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else { throw IngestError("\(path): unreadable") }
            return String(decoding: data, as: UTF8.self)
        }
    }

    /// sha256 of the UTF-8 text, lower-case hex: the document's identity within its language.
    public static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The documents of all corpus specs in a fixed order: corpus documents grouped by language (sorted
/// by name), each spec's files in sorted path order and JSONL lines in file order; then the parallel
/// snippets, language by language (English last), ids sorted. Duplicates within a language are
/// dropped by ingest, which sees the contents.
public struct Corpus: Sendable {
    public let documents: [CorpusDocument]
    public let parallel: ParallelSnippets?

    public init(specs: [CorpusSpec]) throws {
        if specs.isEmpty { throw IngestError("empty corpus: give --lang, --jsonl or --parallel") }
        var corpus: [CorpusDocument] = []
        var parallel: ParallelSnippets?
        for spec in specs {
            switch spec {
            case .files(let language, let pattern):
                corpus += try Self.files(language: language, pattern: pattern, spec: spec)
            case .jsonl(let language, let path, let field):
                corpus += try Self.jsonl(language: language, path: path, field: field)
            case .parallel(let directory):
                if parallel != nil { throw IngestError("\(spec): only one --parallel directory") }
                parallel = try ParallelSnippets(directory: directory)
            }
        }
        // Stable: keeps each spec's own order within a language.
        let grouped = corpus.enumerated().sorted { ($0.element.language, $0.offset) < ($1.element.language, $1.offset) }
        var documents = grouped.map(\.element)
        if let parallel {
            for language in parallel.languages {
                for id in parallel.ids {
                    guard let text = parallel.text(language, id) else { continue }
                    documents.append(CorpusDocument(language: language, source: "parallel:\(language)/\(id)",
                                                    itemKey: id, content: .text(text), bytes: text.utf8.count))
                }
            }
        }
        self.documents = documents
        self.parallel = parallel
    }

    private static func files(language: String, pattern: String, spec: CorpusSpec) throws -> [CorpusDocument] {
        let paths = FileGlob.files(matching: pattern)
        if paths.isEmpty { throw IngestError("\(spec): no file matches") }
        return try paths.map { path in
            guard access(path, R_OK) == 0 else {
                throw IngestError("\(path): unreadable (\(String(cString: strerror(errno))))")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            return CorpusDocument(language: language, source: path, itemKey: nil, content: .file(path), bytes: size)
        }
    }

    private static func jsonl(language: String, path: String, field: String?) throws -> [CorpusDocument] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IngestError("\(path): unreadable (\(String(cString: strerror(errno))))")
        }
        var documents: [CorpusDocument] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] else {
                throw IngestError("\(path):\(lineNumber): not a JSON object")
            }
            let names = field.map { [$0] } ?? ["text", "content"]
            guard let text = names.lazy.compactMap({ object[$0] as? String }).first else {
                throw IngestError("\(path):\(lineNumber): no string field \(names.map { "'\($0)'" }.joined(separator: " or "))")
            }
            documents.append(CorpusDocument(language: language, source: "jsonl:\(path):\(lineNumber)", itemKey: nil,
                                            content: .text(text), bytes: text.utf8.count))
        }
        if documents.isEmpty { throw IngestError("\(path): no documents") }
        return documents
    }
}
