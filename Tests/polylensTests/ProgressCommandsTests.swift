import Foundation
import XCTest
import PolylensModel

/// Progress of the analysis commands when stderr is a log (`--progress`), and the lens naming a language
/// without a keyword list, on a file ingested from real Perl and Python code and 3 parallel items with polycode.
final class ProgressCommandsTests: XCTestCase {
    static let directory = NSTemporaryDirectory() + "polylens-progress-cli-" + UUID().uuidString
    static let file = directory + "/progress.polylens"
    static var ingestError: String?

    override class func setUp() {
        guard PolylensCLI.isBuilt else { return }
        do {
            let parallel = directory + "/parallel"
            let ids = try FileManager.default.contentsOfDirectory(atPath: SharedFiles.url("data/paper/code_snippets/C").path).sorted().prefix(3)
            for lang in ["C", "Python"] {
                try FileManager.default.createDirectory(atPath: "\(parallel)/\(lang)", withIntermediateDirectories: true)
                for id in ids {
                    try FileManager.default.copyItem(atPath: SharedFiles.url("data/paper/code_snippets/\(lang)/\(id)").path, toPath: "\(parallel)/\(lang)/\(id)")
                }
            }
            let r = try PolylensCLI.run(["ingest", file, "--model", SharedFiles.url("models/polycode").path,
                                         "--lang", "Perl=/usr/share/perl/5.36.0/[A-C]*.pm", "--lang", "Python=/usr/lib/python3.11/[a-c]*.py",
                                         "--parallel", parallel, "--prompts", SharedFiles.url("data/paper/prompts").path,
                                         "--lens-items", "3", "--lens-languages", "C,Python", "--held-out", "0.3", "--embed-unembedding",
                                         "--max-doc-tokens", "128", "--max-tokens-per-language", "3000", "--threads", "1", "--format", "json"])
            if r.status != 0 { ingestError = "ingest failed: \(r.err)" }
        } catch {
            ingestError = "\(error)"
        }
    }

    override class func tearDown() { try? FileManager.default.removeItem(atPath: directory) }

    override func setUpWithError() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        if let e = Self.ingestError { XCTFail(e); throw XCTSkip(e) }
    }

    /// Plain lines only (no terminal escapes), the last one finished with done == total.
    private func assertProgressLines(_ err: String, task: String, unit: String, total: Int? = nil,
                                     file: StaticString = #filePath, line: UInt = #line) {
        let lines = err.split(separator: "\n").map(String.init).filter { $0.hasPrefix(task + " ") }
        XCTAssertFalse(lines.isEmpty, err, file: file, line: line)
        XCTAssertFalse(err.contains("\u{1B}"), err, file: file, line: line)
        guard let last = lines.last else { return }
        XCTAssertTrue(last.contains(" \(unit) · ") && last.contains("done in"), last, file: file, line: line)
        let counts = last.dropFirst(task.count + 1).prefix { $0 != " " }.split(separator: "/").map { String($0) }
        XCTAssertEqual(counts.count, 2, last, file: file, line: line)
        XCTAssertEqual(counts.first, counts.last, last, file: file, line: line)
        if let total { XCTAssertEqual(counts.last, "\(total)", last, file: file, line: line) }
    }

    func testLensCountsPromptsAndNamesLanguagesWithoutKeywords() throws {
        let r = try PolylensCLI.run(["lens", Self.file, "--source", "C", "--target", "Python", "--progress", "--progress-interval", "0.001", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        assertProgressLines(r.err, task: "lens C→Python", unit: "prompts", total: 3)
        XCTAssertTrue(r.err.contains("polylens: lens: no keyword list for Perl in \(SharedFiles.url("data/paper/keywords").path): no keyword token set for it"), r.err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual((json["languages_without_keywords"] ?? json["languagesWithoutKeywords"]) as? [String], ["Perl"])
        let sets = try XCTUnwrap((json["token_sets"] ?? json["tokenSets"]) as? [String: Int])
        XCTAssertNotNil(sets["Python"])
        XCTAssertNil(sets["Perl"])

        let table = try PolylensCLI.run(["lens", Self.file, "--source", "C", "--target", "Python"])
        XCTAssertTrue(table.out.contains("Note: no keyword list for Perl"), table.out)
        XCTAssertEqual(table.err.contains("no keyword list for Perl"), true)
        XCTAssertFalse(table.err.contains("lens C→Python 1/3"), "no progress without --progress when stderr is not a terminal")
    }

    func testReportCountsItsSteps() throws {
        let out = Self.directory + "/report.html"
        let r = try PolylensCLI.run(["report", Self.file, "--out", out, "--progress", "--progress-interval", "0.001"])
        XCTAssertEqual(r.status, 0, r.err)
        // LAPE, MEXA, 2 ordered pairs × 3 prompts, ablation.
        assertProgressLines(r.err, task: "report", unit: "steps", total: 3 + 6)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
    }

    func testAblateCountsEveryPassOfEveryToken() throws {
        let lape = try PolylensCLI.run(["lape", Self.file, "--per-language", "20", "--save", "progress"])
        XCTAssertEqual(lape.status, 0, lape.err)
        let r = try PolylensCLI.run(["ablate", Self.file, "--set", "progress", "--model", SharedFiles.url("models/polycode").path,
                                     "--eval-tokens", "200", "--threads", "1", "--progress", "--progress-interval", "0.001", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        assertProgressLines(r.err, task: "ablate", unit: "tokens")
    }
}
