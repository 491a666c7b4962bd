import XCTest
import PolylensModel
@testable import PolylensAnalysis

final class TokenSetsTests: XCTestCase {
    private let texts = ["▁for", "for", " While", "▁▁for", "▁int main", "▁int foo bar", "▁", "{", "42", "▁the", "▁int foo"]

    func testEnglishWordsStripOneLeadingSpaceAndDropNumbersAndPunctuation() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("words-\(UUID().uuidString)")
        try "for\nthe\n42\n{\nWhile\n101\n".write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let words = try WordLists.english(url)
        XCTAssertEqual(words, ["for", "the", "While", "101"])
        XCTAssertEqual(TokenSet.english(texts: texts, words: words).ids, [0, 1, 2, 9])
    }

    func testKeywordTagNeedsAtLeastHalfOfTheParts() {
        let set = TokenSet.tagged(texts: texts, keywords: ["for", "int", "main"], name: "C")
        // "int main" 2/2, "int foo" 1/2 are tagged; "int foo bar" 1/3 and the bare "▁" (no parts) are not.
        XCTAssertEqual(set.ids, [0, 1, 3, 4, 10])
        XCTAssertTrue(set.contains(10))
        XCTAssertFalse(set.contains(5))
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
        XCTAssertThrowsError(try WordLists.keywordFile(for: "Brainfuck", in: dir)) {
            XCTAssertEqual("\($0)", "\(dir.path): no keyword list for language Brainfuck")
        }
        XCTAssertThrowsError(try WordLists.english(URL(fileURLWithPath: "/nonexistent/words")))
    }
}
