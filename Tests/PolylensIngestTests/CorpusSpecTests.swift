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

    /// Known names take their canonical spelling; any other language is kept as given (issue 10, item 1).
    func testAnyLanguageIsAccepted() throws {
        XCTAssertEqual(try CorpusSpec.files("python=/x/*.py"), .files(language: "Python", pattern: "/x/*.py"))
        XCTAssertEqual(try CorpusSpec.files("JAVASCRIPT=/x/*.js"), .files(language: "Javascript", pattern: "/x/*.js"))
        XCTAssertEqual(try CorpusSpec.files("Perl=/usr/share/perl/5.36.0/**/*.pm"), .files(language: "Perl", pattern: "/usr/share/perl/5.36.0/**/*.pm"))
        XCTAssertEqual(try CorpusSpec.files(" Shell =/x/*.sh"), .files(language: "Shell", pattern: "/x/*.sh"))
        XCTAssertEqual(try CorpusSpec.jsonl("SQL=/x.jsonl"), .jsonl(language: "SQL", path: "/x.jsonl", field: nil))
        XCTAssertEqual(try CorpusSpec.files("Haskell=/x/*.hs").description, "--lang Haskell=/x/*.hs")
        XCTAssertTrue(LanguageName.isKnown("C#"))
        XCTAssertFalse(LanguageName.isKnown("Perl"))
    }

    func testBadSpecsAreOneLineErrors() {
        XCTAssertEqual(error { try CorpusSpec.files("/usr/include/*.h") }, "--lang /usr/include/*.h: expected NAME=GLOB")
        XCTAssertEqual(error { try CorpusSpec.files("=/usr/include/*.h") }, "--lang =/usr/include/*.h: empty language name")
        XCTAssertEqual(error { try CorpusSpec.files("C=") }, "--lang C=: empty GLOB")
        XCTAssertEqual(error { try CorpusSpec.files("C,Go=/x/*.c") }, "--lang C,Go=/x/*.c: language name \"C,Go\" contains a comma")
        XCTAssertEqual(error { try CorpusSpec.jsonl("C=/x.jsonl:") }, "--jsonl C=/x.jsonl:: expected NAME=FILE[:field]")
    }

    private func error(_ body: () throws -> CorpusSpec) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }
}
