import XCTest
import PolylensModel
@testable import PolylensIngest

final class FewShotPromptTests: XCTestCase {
    private let snippets = SharedFiles.url("data/paper/code_snippets").path
    private let promptDir = SharedFiles.url("data/paper/prompts").path

    func testExampleLinesAreStripped() throws {
        let examples = try FewShotExamples(directory: promptDir)
        XCTAssertEqual(try examples.lines("C#"), ["string message = \"\";", "class MyClass {}", "int value = 5;", "void do_something() {}"])
        XCTAssertEqual(try examples.lines("Python"), ["message = \"\"", "class MyClass:", "value = 5", "def do_something():"])
    }

    /// The prompt text, character for character, for C# → Python on the first item.
    func testPromptTextMatchesThePaper() throws {
        let parallel = try ParallelSnippets(directory: snippets)
        let prompts = try FewShotExamples(directory: promptDir).prompts(snippets: parallel, languages: ["C#", "Python"], items: 1)
        XCTAssertEqual(prompts.map { "\($0.source)>\($0.target)" }, ["C#>Python", "Python>C#"])
        let p = prompts[0]
        let csharp = try XCTUnwrap(parallel.text("C#", "1010-2")).trimmingCharacters(in: .whitespacesAndNewlines)
        let expectedPrefix = """
        C#: string message = ""; - Python: message = ""
        C#: class MyClass {} - Python: class MyClass:
        C#: int value = 5; - Python: value = 5
        C#: void do_something() {} - Python: def do_something():
        C#: \(csharp) - Python:\u{20}
        """
        XCTAssertEqual(p.prefix, expectedPrefix)
        XCTAssertEqual(p.text, expectedPrefix + "def calculateSpan(price, n, S):")
        XCTAssertFalse(p.text.hasSuffix("\n"))
        XCTAssertEqual(p.itemKey, "1010-2")
    }

    func testEveryOrderedPairOverTheFirstItems() throws {
        let parallel = try ParallelSnippets(directory: snippets)
        let prompts = try FewShotExamples(directory: promptDir)
            .prompts(snippets: parallel, languages: LanguageName.parallel, items: 100)
        XCTAssertEqual(prompts.count, 7 * 6 * 100)
        XCTAssertEqual(Set(prompts.map(\.itemKey)), Set(parallel.ids.prefix(100)))
        XCTAssertFalse(prompts.contains { $0.source == $0.target })
    }

    func testMissingPromptFileIsAnError() throws {
        let parallel = try ParallelSnippets(directory: snippets)
        XCTAssertThrowsError(try FewShotExamples(directory: promptDir).prompts(snippets: parallel, languages: ["C", "English"], items: 1)) {
            XCTAssertEqual("\($0)", "\(self.promptDir)/english_fewshot.txt: unreadable")
        }
        XCTAssertThrowsError(try FewShotExamples(directory: "/nonexistent")) {
            XCTAssertEqual("\($0)", "/nonexistent: not a directory of few-shot prompts")
        }
    }
}
