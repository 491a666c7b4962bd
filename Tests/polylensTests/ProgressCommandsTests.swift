import Foundation
import XCTest
import PolylensModel

/// Progress of the analysis commands when stderr is a log (`--progress`), and the lens naming a language
/// without a keyword list, on the file `AnalysisCommandsTests` ingests (C and Python code, 8 parallel items).
extension AnalysisCommandsTests {
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

    /// The file ingested again with a keywords folder that holds Python's list only (and the raw lens states, to
    /// decode them again): C has no keyword token set, and the lens and the report say so.
    private func fileWithPythonKeywordsOnly() throws -> (file: String, keywords: String) {
        let dir = try temporaryDirectory("polylens-keywords-")
        let keywords = dir + "/keywords"
        try FileManager.default.createDirectory(atPath: keywords, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: SharedFiles.url("data/paper/keywords/Python 3.json").path, toPath: keywords + "/Python 3.json")
        let file = dir + "/k.polylens"
        let r = try PolylensCLI.run(["ingest", file, "--model", Self.model, "--lang", "C=/usr/include/std*.h",
                                     "--parallel", Self.directory + "/parallel", "--prompts", SharedFiles.url("data/paper/prompts").path,
                                     "--lens-items", "3", "--lens-languages", "C,Python", "--max-doc-tokens", "64",
                                     "--max-tokens-per-language", "500", "--keywords", keywords, "--lens-states"])
        XCTAssertEqual(r.status, 0, r.err)
        return (file, keywords)
    }

    func testLensCountsPromptsAndNamesLanguagesWithoutKeywords() throws {
        let (file, keywords) = try fileWithPythonKeywordsOnly()
        let r = try PolylensCLI.run(["lens", file, "--source", "C", "--target", "Python", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("polylens: lens: no keyword list for C: no keyword curve for it"), r.err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual(json["languages_without_keywords"] as? [String], ["C"])
        let sets = try XCTUnwrap(json["token_sets"] as? [[String: Any]]).compactMap { $0["language"] as? String }
        XCTAssertEqual(sets, ["Python"])

        let table = try PolylensCLI.run(["lens", file, "--source", "C", "--target", "Python"])
        XCTAssertTrue(table.out.contains("Note: no keyword list for C"), table.out)
        // Decoding the stored states again counts the prompts (both directions × 3 items).
        let again = try PolylensCLI.run(["lens", file, "--recompute", "--keywords", keywords, "--progress", "--progress-interval", "0.001"])
        XCTAssertEqual(again.status, 0, again.err)
        assertProgressLines(again.err, task: "lens", unit: "prompts", total: 6)
        XCTAssertFalse(try PolylensCLI.run(["lens", file, "--recompute", "--keywords", keywords]).err.contains("lens 1/6"),
                       "no progress without --progress when stderr is not a terminal")
        // With the paper's folder every language of the file has its list: no note.
        XCTAssertFalse(try PolylensCLI.run(["lens", Self.file, "--source", "C", "--target", "Python"]).err.contains("no keyword list"))
    }

    /// MEXA counts its layers (581 items at Llama-3.1-8B's width take tens of seconds).
    func testMexaCountsLayers() throws {
        let r = try PolylensCLI.run(["mexa", Self.file, "--progress", "--progress-interval", "0.001"])
        XCTAssertEqual(r.status, 0, r.err)
        assertProgressLines(r.err, task: "mexa", unit: "layers", total: 5)
        XCTAssertFalse(try PolylensCLI.run(["mexa", Self.file]).err.contains("mexa 1/5"), "no progress without --progress when stderr is not a terminal")
    }

    /// merge counts the input runs it commits, one transaction each.
    func testMergeCountsRuns() throws {
        let out = try temporaryDirectory("polylens-merge-progress-") + "/merged.polylens"
        let r = try PolylensCLI.run(["merge", out, Self.file, "--progress", "--progress-interval", "0.001"])
        XCTAssertEqual(r.status, 0, r.err)
        assertProgressLines(r.err, task: "merge", unit: "runs", total: 1)
    }

    /// Progress in steps; and for a file ingested without C's keyword list, the lens section says so.
    func testReportCountsItsStepsAndNamesLanguagesWithoutKeywords() throws {
        let (file, _) = try fileWithPythonKeywordsOnly()
        let out = try temporaryDirectory("polylens-report-progress-") + "/report.html"
        let r = try PolylensCLI.run(["report", file, "--out", out, "--progress", "--progress-interval", "0.001"])
        XCTAssertEqual(r.status, 0, r.err)
        assertProgressLines(r.err, task: "report", unit: "steps")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(html.contains("No keyword list for C: no keyword curve for it."), "note missing from the lens section")
        XCTAssertTrue(html.contains("Python keywords"))
    }

    /// On a copy, so that the other tests see the file's own sets and ablation results.
    func testAblateCountsEveryPassOfEveryToken() throws {
        let copy = try temporaryDirectory("polylens-ablate-progress-") + "/copy.polylens"
        try FileManager.default.copyItem(atPath: Self.file, toPath: copy)
        let lape = try PolylensCLI.run(["lape", copy, "--per-language", "20", "--save", "progress"])
        XCTAssertEqual(lape.status, 0, lape.err)
        let r = try PolylensCLI.run(["ablate", copy, "--set", "progress", "--model", Self.model,
                                     "--eval-tokens", "200", "--threads", "1", "--progress", "--progress-interval", "0.001", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        assertProgressLines(r.err, task: "ablate", unit: "tokens")
    }

    /// Ctrl-C during ablate: a one-line message, and the file as it was (results are stored only at the end).
    func testAblateInterruptedWritesNothing() throws {
        let copy = try temporaryDirectory("polylens-ablate-interrupt-") + "/copy.polylens"
        try FileManager.default.copyItem(atPath: Self.file, toPath: copy)
        XCTAssertEqual(try PolylensCLI.run(["lape", copy, "--per-language", "20", "--save", "interrupt"]).status, 0)
        func results() throws -> String { try PolylensCLI.run(["sql", copy, "SELECT count(*) AS n FROM ablation_results", "--format", "csv"]).out }
        let before = try results()
        let (p, _, err) = try PolylensCLI.start(["ablate", copy, "--set", "interrupt", "--model", Self.model, "--threads", "1",
                                                 "--progress", "--progress-interval", "0.001"])
        let collected = LockedText()
        err.fileHandleForReading.readabilityHandler = { collected.append(String(decoding: $0.availableData, as: UTF8.self)) }
        let deadline = Date().addingTimeInterval(60)
        while p.isRunning && !collected.text.contains("ablate ") && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(p.isRunning, "ablate finished before it could be interrupted")
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        err.fileHandleForReading.readabilityHandler = nil
        collected.append(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        XCTAssertEqual(p.terminationStatus, 1, collected.text)
        XCTAssertTrue(collected.text.contains("\(copy): interrupted; no ablation result was written"), collected.text)
        XCTAssertEqual(try results(), before)
    }
}

/// Text appended from a pipe's handler thread and read from the test's.
private final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    var text: String { lock.lock(); defer { lock.unlock() }; return value }
    func append(_ s: String) { lock.lock(); value += s; lock.unlock() }
}
