import Foundation
import PolylensModel

/// A named set of vocabulary ids whose probability mass and top-k membership the logit lens follows,
/// with the rule and files that made it, so a reader of a Polylens file can audit exactly which tokens counted.
public struct TokenSet: Sendable, Equatable {
    /// `english` or `keywords` (a language's keywords + built-ins).
    public var kind: String
    public var name: String
    /// The programming language of a `keywords` set; nil for English.
    public var language: String?
    /// The rule and the files it read, in words.
    public var source: String
    /// Sorted, distinct ids.
    public var ids: [Int32]

    public static let english = "english", keywords = "keywords"

    public init(name: String, kind: String = TokenSet.keywords, language: String? = nil, source: String = "", ids: [Int32]) {
        self.name = name; self.kind = kind; self.language = language; self.source = source
        self.ids = Array(Set(ids)).sorted()
    }

    /// The languages among `languages` (English aside) that no keyword set of `sets` covers: no keyword list was
    /// found for them, so they have no keyword curve, which the lens and the report say rather than drop silently.
    public static func languagesWithoutKeywords(_ sets: [TokenSet], among languages: [String]) -> [String] {
        let covered = Set(sets.filter { $0.kind == TokenSet.keywords }.compactMap(\.language))
        return Set(languages).subtracting(covered).subtracting(["English"]).sorted()
    }

    /// The note for `languagesWithoutKeywords`, nil when every language has its list: one wording for the lens
    /// command (a line on stderr and in the table) and the report's lens method (as a sentence).
    public static func missingKeywordsNote(_ sets: [TokenSet], among languages: [String]) -> String? {
        let missing = languagesWithoutKeywords(sets, among: languages)
        return missing.isEmpty ? nil
            : "no keyword list for \(missing.joined(separator: ", ")): no keyword curve for \(missing.count == 1 ? "it" : "them")"
    }

    public func contains(_ id: Int32) -> Bool {
        var lo = 0, hi = ids.count
        while lo < hi { let mid = (lo + hi) / 2; if ids[mid] < id { lo = mid + 1 } else { hi = mid } }
        return lo < ids.count && ids[lo] == id
    }

    /// Shortest English word counted: shorter entries of a word list are mostly letters and abbreviations
    /// (`s`, `c`, `t` in wamerican) that a code model emits as pieces of identifiers.
    public static let minimumEnglishLetters = 3

    /// English words (METHODS.md §1, with the paper's ENGPURE removal of programming keywords): a token counts when
    /// its text is one leading space followed by a whole word of at least `minimumEnglishLetters` ASCII letters
    /// (so it starts a word: `ate` of `cre|ate` or `pan` of `ex|pan|d` never count), the word in lower case is in
    /// `words` (a capitalised `▁The` counts), and it is not a keyword or built-in of any language in `excluding`.
    /// `texts[id]` is the token's text as it reads inside a sequence (`TokenSet.texts`).
    public static func english(texts: [String], words: Set<String>, excluding keywords: Set<String> = [],
                               name: String = "English", source: String = "") -> TokenSet {
        let lowerWords = Set(words.map { $0.lowercased() }), lowerKeywords = Set(keywords.map { $0.lowercased() })
        return TokenSet(name: name, kind: english, source: source, ids: texts.indices.filter { id in
            let t = texts[id]
            guard t.hasPrefix(" ") else { return false }
            let word = t.dropFirst()
            guard word.count >= minimumEnglishLetters, word.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isAlphabetic }) else { return false }
            let lower = word.lowercased()
            return lowerWords.contains(lower) && !lowerKeywords.contains(lower)
        }.map(Int32.init))
    }

    /// Tokens tagged with a programming language: at least half of the whitespace-separated parts of the
    /// text (`▁` counts as a space) are in `keywords`; a text with no parts (only whitespace) is never tagged.
    public static func tagged(texts: [String], keywords: Set<String>, name: String, language: String? = nil,
                              source: String = "") -> TokenSet {
        TokenSet(name: name, kind: Self.keywords, language: language, source: source, ids: texts.indices.filter { id in
            let parts = texts[id].replacingOccurrences(of: "▁", with: " ")
                .split(whereSeparator: { $0.isWhitespace }).map(String.init)
            return !parts.isEmpty && 2 * parts.filter(keywords.contains).count >= parts.count
        }.map(Int32.init))
    }

    /// Each id's text as it reads inside a sequence: decoded, with the leading space SentencePiece's decode drops
    /// from a lone `▁` piece put back (byte-level BPE keeps it). Ids beyond the tokenizer (padding rows of an
    /// unembedding) have no text.
    public static func texts(of tokenizer: any Tokenizer, vocab: Int) -> [String] {
        (0..<vocab).map { id in
            guard id < tokenizer.vocabSize else { return "" }
            let text = tokenizer.decode([id])
            return tokenizer.piece(id).hasPrefix("▁") && !text.hasPrefix(" ") ? " " + text : text
        }
    }

    /// The sets the lens follows: English words, then the keywords + built-ins of each of `languages` that the
    /// keywords folder has a list for (others are left out). English excludes every list in the folder.
    public static func lensSets(texts: [String], languages: [String], words: URL, keywordsDirectory: URL) throws -> [TokenSet] {
        try lensSets(texts: texts, languages: languages, words: try WordLists.english(words), wordList: words.path,
                     keywordsDirectory: keywordsDirectory)
    }

    /// The same with the word list already read (`wordList` names it in the English set's source).
    public static func lensSets(texts: [String], languages: [String], words: Set<String>, wordList: String,
                                keywordsDirectory: URL) throws -> [TokenSet] {
        [english(texts: texts, words: words, excluding: try WordLists.allKeywords(in: keywordsDirectory),
                 source: "\(wordList): tokens reading ' word', word of ≥ \(minimumEnglishLetters) ASCII letters in the list (lower case), "
                     + "less the keywords and built-ins of every list in \(keywordsDirectory.path)")]
            + (try WordLists.keywordSets(for: languages, in: keywordsDirectory, texts: texts).sets)
    }
}

/// The word lists the token sets are built from.
public enum WordLists {
    /// Debian's `wamerican` list, the stand-in for the paper's PanLex English.
    public static let defaultEnglish = URL(fileURLWithPath: "/usr/share/dict/words")

    /// One word a line, less the numbers 0–100 and the characters `{}()[]-+.,;"` (as the paper removes them).
    public static func english(_ url: URL = defaultEnglish) throws -> Set<String> {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ModelFileError(url, "cannot read the English word list (Debian package wamerican)")
        }
        var words = Set(text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty })
        words.subtract((0...100).map(String.init))
        words.subtract(#"{}()[]-+.,;""#.map(String.init))
        guard !words.isEmpty else { throw ModelFileError(url, "the English word list is empty") }
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
        throw ModelFileError(directory, "no keyword list for language \(language)")
    }

    /// The keyword token set of each language with a list in `directory` (named `<language> keywords`), and the
    /// languages without one (any language Polylens does not know, e.g. Perl or Shell), so outputs can say which are missing.
    public static func keywordSets(for languages: [String], in directory: URL, texts: [String]) throws -> (sets: [TokenSet], missing: [String]) {
        var sets: [TokenSet] = [], missing: [String] = []
        for language in languages {
            guard let url = try? keywordFile(for: language, in: directory) else { missing.append(language); continue }
            sets.append(TokenSet.tagged(texts: texts, keywords: try keywords(url), name: "\(language) keywords", language: language,
                                        source: "\(url.path): keywords + builtins; a token counts when at least half of its whitespace-separated parts are in the list"))
        }
        return (sets, missing)
    }

    /// `keywords` and `builtins` of one of the paper's keyword files.
    public static func keywords(_ url: URL) throws -> Set<String> {
        struct File: Decodable { var keywords: [String]; var builtins: [String]? }
        guard let data = try? Data(contentsOf: url) else { throw ModelFileError(url, "cannot read the keyword list") }
        guard let file = try? JSONDecoder().decode(File.self, from: data) else {
            throw ModelFileError(url, "not a keyword list (a JSON object with a `keywords` array)")
        }
        return Set(file.keywords + (file.builtins ?? []))
    }

    /// The keywords and built-ins of every `.json` list in the folder (the 23 languages of the paper's data).
    public static func allKeywords(in directory: URL) throws -> Set<String> {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw ModelFileError(directory, "cannot read the keywords folder")
        }
        var all = Set<String>()
        for name in names.sorted() where name.hasSuffix(".json") {
            all.formUnion(try keywords(directory.appendingPathComponent(name)))
        }
        return all
    }
}
