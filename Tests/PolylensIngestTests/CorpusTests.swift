import Foundation
import XCTest
import PolylensModel
@testable import PolylensIngest

final class CorpusTests: XCTestCase {
    private var snippets: String { SharedFiles.url("data/paper/code_snippets").path }

    func testFilesAreGroupedByLanguageInSortedOrder() throws {
        let corpus = try Corpus(specs: [try .files("Python=/usr/lib/python3.11/*.py"), try .files("C=/usr/include/std*.h")])
        let languages = corpus.documents.map(\.language)
        XCTAssertEqual(languages.first, "C")
        XCTAssertEqual(languages.last, "Python")
        let c = corpus.documents.filter { $0.language == "C" }.map(\.source)
        XCTAssertEqual(c, c.sorted())
        XCTAssertEqual(c, FileGlob.files(matching: "/usr/include/std*.h"))
        let stdio = try XCTUnwrap(corpus.documents.first { $0.source == "/usr/include/stdio.h" })
        XCTAssertEqual(try stdio.text(), String(decoding: FileManager.default.contents(atPath: "/usr/include/stdio.h")!, as: UTF8.self))
        XCTAssertEqual(stdio.bytes, FileManager.default.contents(atPath: "/usr/include/stdio.h")!.count)
    }

    func testParallelSnippetsWithEnglishComments() throws {
        let corpus = try Corpus(specs: [.parallel(snippets)])
        let parallel = try XCTUnwrap(corpus.parallel)
        XCTAssertEqual(parallel.languages, ["C", "C#", "C++", "Java", "Javascript", "PHP", "Python", "English"])
        XCTAssertEqual(parallel.ids.count, 581)
        XCTAssertEqual(parallel.ids.first, "1010-2")
        XCTAssertEqual(corpus.documents.count, 581 * 8)
        let english = try XCTUnwrap(corpus.documents.first { $0.language == "English" })
        XCTAssertEqual(english.itemKey, "1010-2")
        XCTAssertEqual(english.source, "parallel:English/1010-2")
        XCTAssertEqual(try english.text(), "/*Fills array S[] with span values*/")
        XCTAssertEqual(parallel.text("Python", "1010-2"), "def calculateSpan(price, n, S):")
    }

    func testJSONLDocuments() throws {
        let dir = try temporaryDirectory()
        let path = dir + "/docs.jsonl"
        try "{\"text\": \"int main() {}\"}\n\n{\"content\": \"x = 1\", \"n\": 2}\n".write(toFile: path, atomically: true, encoding: .utf8)
        let corpus = try Corpus(specs: [try .jsonl("C=\(path)")])
        XCTAssertEqual(try corpus.documents.map { try $0.text() }, ["int main() {}", "x = 1"])
        XCTAssertEqual(corpus.documents.map(\.source), ["jsonl:\(path):1", "jsonl:\(path):3"])
        // With an explicit field, line 1 (which has only `text`) is an error.
        XCTAssertThrowsError(try Corpus(specs: [try .jsonl("C=\(path):content")]))
    }

    func testBadInputs() throws {
        let dir = try temporaryDirectory()
        XCTAssertEqual(error { try Corpus(specs: []) }, "empty corpus: give --lang, --jsonl or --parallel")
        XCTAssertEqual(error { try Corpus(specs: [try .files("C=/usr/include/no-such-*.h")]) },
                       "--lang C=/usr/include/no-such-*.h: no file matches")
        let bad = dir + "/bad.jsonl"
        try "{\"text\": \"ok\"}\n{\"text\": \"broken\"\n".write(toFile: bad, atomically: true, encoding: .utf8)
        XCTAssertEqual(error { try Corpus(specs: [try .jsonl("C=\(bad)")]) }, "\(bad):2: not a JSON object")
        XCTAssertEqual(error { try Corpus(specs: [try .jsonl("C=\(bad):code")]) }, "\(bad):1: no string field 'code'")
        XCTAssertEqual(error { try Corpus(specs: [try .jsonl("C=\(dir)/missing.jsonl")]) },
                       "\(dir)/missing.jsonl: unreadable (No such file or directory)")
        XCTAssertEqual(error { try Corpus(specs: [.parallel(dir)]) }, "\(dir): no <Language>/<id>.json snippets")
        let badLanguage = dir + "/par/C,Go"
        try FileManager.default.createDirectory(atPath: badLanguage, withIntermediateDirectories: true)
        XCTAssertEqual(error { try Corpus(specs: [.parallel(dir + "/par")]) }, "\(badLanguage): language name \"C,Go\" contains a comma")
        if getuid() != 0 {
            let locked = dir + "/locked.py"
            try "x = 1\n".write(toFile: locked, atomically: true, encoding: .utf8)
            chmod(locked, 0)
            XCTAssertEqual(error { try Corpus(specs: [try .files("Python=\(locked)")]) }, "\(locked): unreadable (Permission denied)")
        }
    }

    private func error(_ body: () throws -> Corpus) -> String? {
        do { _ = try body(); return nil } catch { return "\(error)" }
    }
}

/// A fresh directory under the system's temporary directory.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "polylens-ingest-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
