import Foundation

/// The paper's parallel code snippets: `DIR/<Language>/<id>.json`, the code in field `snippet`, and
/// the C file's `comment` as the English side (METHODS.md "Data").
public struct ParallelSnippets: Sendable {
    public let directory: String
    /// Languages in sorted order, English last.
    public let languages: [String]
    /// Item ids in sorted (byte-wise) order, the union over languages.
    public let ids: [String]
    private let texts: [String: [String: String]]

    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw IngestError("\(directory): not a directory of parallel snippets")
        }
        let subdirectories = (try? fm.contentsOfDirectory(atPath: directory))?.sorted() ?? []
        var texts: [String: [String: String]] = [:]
        for name in subdirectories where !name.hasPrefix(".") {
            let languageDir = directory + "/" + name
            guard fm.fileExists(atPath: languageDir, isDirectory: &isDir), isDir.boolValue else { continue }
            let language = try LanguageName.canonical(name, in: languageDir)
            for file in ((try? fm.contentsOfDirectory(atPath: languageDir)) ?? []).sorted() where file.hasSuffix(".json") {
                let path = languageDir + "/" + file
                let id = String(file.dropLast(".json".count))
                let object = try Self.object(path)
                guard let snippet = object["snippet"] as? String else { throw IngestError("\(path): no string field 'snippet'") }
                texts[language, default: [:]][id] = snippet
                if language == "C" {
                    guard let comment = object["comment"] as? String else { throw IngestError("\(path): no string field 'comment'") }
                    texts["English", default: [:]][id] = comment
                }
            }
        }
        if texts.isEmpty { throw IngestError("\(directory): no <Language>/<id>.json snippets") }
        self.texts = texts
        languages = texts.keys.filter { $0 != "English" }.sorted() + (texts["English"] == nil ? [] : ["English"])
        ids = Set(texts.values.flatMap { $0.keys }).sorted()
    }

    /// The text of item `id` in `language`, as stored (unstripped), or nil when that file is absent.
    public func text(_ language: String, _ id: String) -> String? { texts[language]?[id] }

    private static func object(_ path: String) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else { throw IngestError("\(path): unreadable") }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw IngestError("\(path): not a JSON object")
        }
        return object
    }
}
