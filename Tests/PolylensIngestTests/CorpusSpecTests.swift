import XCTest
@testable import PolylensIngest

final class CorpusSpecTests: XCTestCase {
    func testLanguageNamesAreCanonical() throws {
        XCTAssertEqual(try CorpusSpec.files("python=/usr/lib/python3.11/*.py"),
                       .files(language: "Python", pattern: "/usr/lib/python3.11/*.py"))
        XCTAssertEqual(try CorpusSpec.files("c++=/usr/include/c++/12/*"), .files(language: "C++", pattern: "/usr/include/c++/12/*"))
        XCTAssertEqual(try CorpusSpec.files("JAVASCRIPT=/a/*.js"), .files(language: "Javascript", pattern: "/a/*.js"))
    }

    func testJSONLField() throws {
        XCTAssertEqual(try CorpusSpec.jsonl("C#=/data/cs.jsonl"), .jsonl(language: "C#", path: "/data/cs.jsonl", field: nil))
        XCTAssertEqual(try CorpusSpec.jsonl("C#=/data/cs.jsonl:code"), .jsonl(language: "C#", path: "/data/cs.jsonl", field: "code"))
    }

    func testRelativePatternsBecomeAbsolute() throws {
        guard case .files(_, let pattern) = try CorpusSpec.files("C=include/*.h") else { return XCTFail() }
        XCTAssertEqual(pattern, FileManager.default.currentDirectoryPath + "/include/*.h")
    }

    func testBadSpecsAreOneLineErrors() {
        XCTAssertEqual(error { try CorpusSpec.files("/usr/include/*.h") }, "--lang /usr/include/*.h: expected NAME=GLOB")
        XCTAssertEqual(error { try CorpusSpec.files("=/usr/include/*.h") }, "--lang =/usr/include/*.h: empty language name")
        XCTAssertEqual(error { try CorpusSpec.files("C=") }, "--lang C=: empty GLOB")
        let unknown = error { try CorpusSpec.files("klingon=/x/*.kl") }
        XCTAssertTrue(unknown?.hasPrefix("--lang klingon=/x/*.kl: unknown language 'klingon' (known: C, C#,") == true, unknown ?? "")
        XCTAssertEqual(error { try CorpusSpec.jsonl("C=/x.jsonl:") }, "--jsonl C=/x.jsonl:: expected NAME=FILE[:field]")
    }

    private func error(_ body: () throws -> CorpusSpec) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }
}
