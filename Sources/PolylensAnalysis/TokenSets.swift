import Foundation

/// A named set of vocabulary ids whose probability mass and top-k membership the logit lens follows.
public struct TokenSet: Sendable, Equatable {
    public var name: String
    /// Sorted, distinct ids.
    public var ids: [Int32]
    public init(name: String, ids: [Int32]) { self.name = name; self.ids = Array(Set(ids)).sorted() }

    public func contains(_ id: Int32) -> Bool {
        var lo = 0, hi = ids.count
        while lo < hi { let mid = (lo + hi) / 2; if ids[mid] < id { lo = mid + 1 } else { hi = mid } }
        return lo < ids.count && ids[lo] == id
    }

    /// English words (METHODS.md §1): tokens whose text, less one leading space or `▁`, is in `words`.
    /// `texts[id]` is the token's text (decoded, or its piece).
    public static func english(texts: [String], words: Set<String>, name: String = "English") -> TokenSet {
        TokenSet(name: name, ids: texts.indices.filter { words.contains(strippingLeadingSpace(texts[$0])) }.map(Int32.init))
    }

    /// Tokens tagged with a programming language: at least half of the whitespace-separated parts of the
    /// text (`▁` counts as a space) are in `keywords`; a text with no parts (only whitespace) is never tagged.
    public static func tagged(texts: [String], keywords: Set<String>, name: String) -> TokenSet {
        TokenSet(name: name, ids: texts.indices.filter { id in
            let parts = texts[id].replacingOccurrences(of: "▁", with: " ")
                .split(whereSeparator: { $0.isWhitespace }).map(String.init)
            return !parts.isEmpty && 2 * parts.filter(keywords.contains).count >= parts.count
        }.map(Int32.init))
    }

    static func strippingLeadingSpace(_ s: String) -> String {
        s.hasPrefix(" ") || s.hasPrefix("▁") ? String(s.dropFirst()) : s
    }
}

/// The word lists the token sets are built from.
public enum WordLists {
    /// Debian's `wamerican` list, the stand-in for the paper's PanLex English.
    public static let defaultEnglish = URL(fileURLWithPath: "/usr/share/dict/words")

    /// One word a line, less the numbers 0–100 and the characters `{}()[]-+.,;"` (as the paper removes them).
    public static func english(_ url: URL = defaultEnglish) throws -> Set<String> {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw AnalysisError("\(url.path): cannot read the English word list (Debian package wamerican)")
        }
        var words = Set(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty })
        words.subtract((0...100).map(String.init))
        words.subtract(#"{}()[]-+.,;""#.map(String.init))
        guard !words.isEmpty else { throw AnalysisError("\(url.path): the English word list is empty") }
        return words
    }

    /// The keyword file of a language in the paper's `keywords/` folder: `<Name>.json` matched without
    /// case (`Javascript` → `JavaScript.json`), and `Python` → `Python 3.json`.
    public static func keywordFile(for language: String, in directory: URL) throws -> URL {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for wanted in [language, language + " 3"] {
            if let hit = names.first(where: { $0.caseInsensitiveCompare(wanted + ".json") == .orderedSame }) {
                return directory.appendingPathComponent(hit)
            }
        }
        throw AnalysisError("\(directory.path): no keyword list for language \(language)")
    }

    /// The keyword token set of each language with a list in `directory`, and the languages without one (any
    /// language Polylens does not know, e.g. Perl or Shell), so that the output can say which sets are missing.
    public static func keywordSets(for languages: [String], in directory: URL, texts: [String]) throws -> (sets: [TokenSet], missing: [String]) {
        var sets: [TokenSet] = [], missing: [String] = []
        for language in languages {
            guard let url = try? keywordFile(for: language, in: directory) else { missing.append(language); continue }
            sets.append(TokenSet.tagged(texts: texts, keywords: try keywords(url), name: language))
        }
        return (sets, missing)
    }

    /// `keywords` and `builtins` of one of the paper's keyword files.
    public static func keywords(_ url: URL) throws -> Set<String> {
        struct File: Decodable { var keywords: [String]; var builtins: [String]? }
        guard let data = try? Data(contentsOf: url) else { throw AnalysisError("\(url.path): cannot read the keyword list") }
        guard let file = try? JSONDecoder().decode(File.self, from: data) else {
            throw AnalysisError("\(url.path): not a keyword list (a JSON object with a `keywords` array)")
        }
        return Set(file.keywords + (file.builtins ?? []))
    }
}
