import XCTest
import PolylensModel
@testable import PolylensTokenizer

final class TokenSetTests: XCTestCase {
    private let texts = ["▁for", "for", " While", "▁▁for", "▁int main", "▁int foo bar", "▁", "{", "42", "▁the", "▁int foo"]

    func testWordListDropsNumbersAndPunctuation() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("words-\(UUID().uuidString)")
        try "for\nthe\n42\n{\nWhile\n101\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertEqual(try WordLists.english(url), ["for", "the", "While", "101"])
    }

    /// Whole words only: a leading space, ≥ 3 ASCII letters, the word in lower case in the list, no keyword.
    func testEnglishRule() {
        let texts = [" the", "the", " The", " s", " ate", "ate", " pan", " for", " don't", " café", " 101", " pans", " Zebra", "  the"]
        let set = TokenSet.english(texts: texts, words: ["the", "s", "ate", "pan", "for", "don't", "café", "101", "zebra"],
                                   excluding: ["For"], source: "test")
        // " the" and " The" (capitalised), " ate", " pan", " Zebra"; not the pieces without a space, the one-letter
        // " s", the keyword " for", the apostrophe, the accent, the number, " pans" (not listed), two spaces.
        XCTAssertEqual(set.ids, [0, 2, 4, 6, 12])
        XCTAssertEqual(set.kind, TokenSet.english)
        XCTAssertEqual(set.source, "test")
    }

    func testKeywordTagNeedsAtLeastHalfOfTheParts() {
        let set = TokenSet.tagged(texts: texts, keywords: ["for", "int", "main"], name: "C", language: "C")
        // "int main" 2/2, "int foo" 1/2 are tagged; "int foo bar" 1/3 and the bare "▁" (no parts) are not.
        XCTAssertEqual(set.ids, [0, 1, 3, 4, 10])
        XCTAssertTrue(set.contains(10))
        XCTAssertFalse(set.contains(5))
        XCTAssertEqual(set.language, "C")
    }

    /// One wording for the lens command and the report: English never needs a list, languages sorted and named once.
    func testMissingKeywordsNote() {
        let sets = [TokenSet(name: "Python", language: "Python", ids: [1]), TokenSet(name: "English", kind: TokenSet.english, ids: [2])]
        XCTAssertNil(TokenSet.missingKeywordsNote(sets, among: ["Python", "English", "Python"]))
        XCTAssertEqual(TokenSet.missingKeywordsNote(sets, among: ["C", "Python", "C"]), "no keyword list for C: no keyword curve for it")
        XCTAssertEqual(TokenSet.missingKeywordsNote(sets, among: ["Rust", "English", "C"]), "no keyword list for C, Rust: no keyword curve for them")
    }

    func testRealWordListAndKeywordFiles() throws {
        let words = try WordLists.english()
        XCTAssertTrue(words.contains("for"))
        XCTAssertFalse(words.contains("42"))
        XCTAssertGreaterThan(words.count, 50_000)
        let dir = SharedFiles.url("data/paper/keywords")
        XCTAssertEqual(try WordLists.keywordFile(for: "Python", in: dir).lastPathComponent, "Python 3.json")
        XCTAssertEqual(try WordLists.keywordFile(for: "Javascript", in: dir).lastPathComponent, "JavaScript.json")
        let python = try WordLists.keywords(try WordLists.keywordFile(for: "Python", in: dir))
        XCTAssertTrue(python.contains("def"))
        XCTAssertTrue(python.contains("print"))  // a built-in
        XCTAssertTrue(try WordLists.allKeywords(in: dir).isSuperset(of: python))
        XCTAssertThrowsError(try WordLists.keywordFile(for: "Brainfuck", in: dir)) {
            XCTAssertEqual("\($0)", "\(dir.path): no keyword list for language Brainfuck")
        }
        XCTAssertThrowsError(try WordLists.english(URL(fileURLWithPath: "/nonexistent/words"))) {
            XCTAssertEqual("\($0)", "/nonexistent/words: cannot read the English word list (Debian package wamerican)")
        }
    }

    /// Issue 10: with the real polycode and Llama 2 tokenizers and wamerican, the English set holds whole words,
    /// not the one-token pieces (`s`, `c`, `t`, `ate`, `pan`) the old rule counted, nor keywords.
    func testEnglishSetOnRealTokenizers() throws {
        for (path, size) in [("models/polycode/tokenizer.model", 4096), ("models/llama2c/tokenizer.model", 32000)] {
            let tok = try TokenizerLoader.load(SharedFiles.url(path))
            XCTAssertEqual(tok.vocabSize, size)
            let texts = TokenSet.texts(of: tok, vocab: tok.vocabSize)
            let sets = try TokenSet.lensSets(texts: texts, languages: ["C", "Python", "Rust2"], words: WordLists.defaultEnglish,
                                             keywordsDirectory: SharedFiles.url("data/paper/keywords"))
            XCTAssertEqual(sets.map(\.name), ["English", "C keywords", "Python keywords"], path)
            let english = sets[0]
            for fragment in ["s", "c", "t", "ate", "pan", "▁s", "▁c", "▁t"] {
                if let id = (0..<tok.vocabSize).first(where: { tok.piece($0) == fragment }) {
                    XCTAssertFalse(english.contains(Int32(id)), "\(path): \(fragment)")
                }
            }
            for keyword in ["▁return", "▁function", "▁for", "▁int", "▁def", "▁class"] {
                if let id = (0..<tok.vocabSize).first(where: { tok.piece($0) == keyword }) {
                    XCTAssertFalse(english.contains(Int32(id)), "\(path): \(keyword)")
                }
            }
            let the = try XCTUnwrap((0..<tok.vocabSize).first { tok.piece($0) == "▁the" })
            XCTAssertTrue(english.contains(Int32(the)), path)
            for id in english.ids {
                let piece = tok.piece(Int(id))
                XCTAssertTrue(piece.hasPrefix("▁") && piece.count >= 4, "\(path): \(piece)")
            }
            XCTAssertGreaterThan(english.ids.count, size / 20, path)
            print("TokenSetTests: \(path): \(english.ids.count) English tokens, keywords C \(sets[1].ids.count), Python \(sets[2].ids.count)")
            XCTAssertTrue(sets[2].contains(Int32(try XCTUnwrap((0..<tok.vocabSize).first { tok.piece($0) == "▁def" }))))
        }
    }
}
