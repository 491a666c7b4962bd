import Foundation
import XCTest
import PolylensModel
import PolylensStore

private extension String {
    /// The first capture group of `pattern`.
    func firstMatch(_ pattern: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: pattern),
              let m = re.firstMatch(in: self, range: NSRange(startIndex..., in: self)), m.numberOfRanges > 1,
              let r = Range(m.range(at: 1), in: self) else { return nil }
        return String(self[r])
    }
}

/// `polylens ingest` as a user runs it: the built binary as a child process.
final class IngestCommandTests: XCTestCase {
    private func corpusArguments(_ file: String) -> [String] {
        ["ingest", file, "--model", SharedFiles.url("models/polycode").path,
         "--lang", "C=/usr/include/*.h", "--lang", "python=/usr/lib/python3.11/*.py",
         "--max-doc-tokens", "64", "--max-tokens-per-language", "6000", "--threads", "1", "--format", "json"]
    }

    private func documentCount(_ path: String) -> Int {
        guard FileManager.default.fileExists(atPath: path), let file = try? PolylensFile.open(URL(fileURLWithPath: path)),
              let run = try? file.runs().first?.id, let keys = try? file.documentKeys(run: run) else { return 0 }
        return keys.count
    }

    /// SIGKILL in the middle of an ingest, then the same command again: the file equals an uninterrupted run's.
    func testKillNineThenResumeEqualsUninterruptedRun() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        let dir = try temporaryDirectory("polylens-ingest-cli-")
        let whole = dir + "/whole.polylens", killed = dir + "/killed.polylens"
        let first = try PolylensCLI.run(corpusArguments(whole))
        XCTAssertEqual(first.status, 0, first.err)
        let total = documentCount(whole)
        XCTAssertGreaterThan(total, 100)

        let (p, _, _) = try PolylensCLI.start(corpusArguments(killed))
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && documentCount(killed) == 0 && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(p.isRunning, "the ingest finished before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        let partial = documentCount(killed)
        XCTAssertGreaterThan(partial, 0)
        XCTAssertLessThan(partial, total)

        let resumed = try PolylensCLI.run(corpusArguments(killed))
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertTrue(resumed.out.contains("\"documents_resumed\":\(partial)"), resumed.out)

        let a = try PolylensFile.open(URL(fileURLWithPath: whole)), b = try PolylensFile.open(URL(fileURLWithPath: killed))
        let runA = try XCTUnwrap(a.runs().first?.id), runB = try XCTUnwrap(b.runs().first?.id)
        XCTAssertEqual(try b.runs().count, 1)
        XCTAssertEqual(try a.documentKeys(run: runA), try b.documentKeys(run: runB))
        let statsA = try a.neuronStats(run: runA).sorted { ($0.language, $0.layer) < ($1.language, $1.layer) }
        let statsB = try b.neuronStats(run: runB).sorted { ($0.language, $0.layer) < ($1.language, $1.layer) }
        XCTAssertEqual(statsA.count, statsB.count)
        XCTAssertTrue(statsA == statsB, "neuron statistics differ after kill -9 and resume")
        let docsA = try a.documents(run: runA).sorted { $0.source < $1.source }
        let docsB = try b.documents(run: runB).sorted { $0.source < $1.source }
        XCTAssertEqual(docsA, docsB)
    }

    /// Ctrl-C: the ingest stops between documents, says what the file holds and prints the command that
    /// resumes; that command, run as printed, finishes the ingest from there.
    func testInterruptPrintsWhatIsCommittedAndTheCommandThatResumes() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        let file = try temporaryDirectory("polylens-ingest-cli-") + "/interrupted.polylens"
        let arguments = corpusArguments(file).map { $0 == "6000" ? "30000" : $0 }
        let (p, out, err) = try PolylensCLI.start(arguments)
        let deadline = Date().addingTimeInterval(120)
        while p.isRunning && documentCount(file) == 0 && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(p.isRunning, "the ingest finished before it could be interrupted")
        kill(p.processIdentifier, SIGINT)
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130, e)
        let held = documentCount(file)
        XCTAssertTrue(e.contains("polylens: interrupted. \(file) is consistent: run 1 holds \(held) documents and 0 lens prompts"), e)
        XCTAssertTrue(o.contains("\"interrupted\":true"), o)
        let lines = e.split(separator: "\n").map(String.init)
        let resumeLine = try XCTUnwrap(lines.firstIndex { $0.hasSuffix("Resume with the same command:") }.map { lines[$0 + 1] }, e)
        XCTAssertTrue(resumeLine.hasPrefix("  \(PolylensCLI.binary.path) ingest \(file) --model "), resumeLine)
        XCTAssertTrue(resumeLine.contains("'python=/usr/lib/python3.11/*.py'"), resumeLine)

        let resume = Process()
        resume.executableURL = URL(fileURLWithPath: "/bin/bash")
        resume.arguments = ["-c", resumeLine]
        let resumeOut = Pipe()
        resume.standardOutput = resumeOut
        try resume.run()
        let r = String(decoding: resumeOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        resume.waitUntilExit()
        XCTAssertEqual(resume.terminationStatus, 0, r)
        XCTAssertTrue(r.contains("\"documents_resumed\":\(held)"), r)
        XCTAssertTrue(r.contains("\"interrupted\":false"), r)
    }

    /// Options that change per-document processing are refused with the reason, before anything is
    /// computed; --new-run starts run 2, and the same command then continues it.
    func testANewRunIsExplainedAndExplicit() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        let file = try temporaryDirectory("polylens-ingest-cli-") + "/runs.polylens"
        let small = ["ingest", file, "--model", SharedFiles.url("models/polycode").path, "--lang", "C=/usr/include/std*.h",
                     "--max-doc-tokens", "64", "--threads", "1", "--format", "json"]
        XCTAssertEqual(try PolylensCLI.run(small).status, 0)
        let before = documentCount(file)
        let shorter = small.map { $0 == "64" ? "32" : $0 }
        assertFailure(try PolylensCLI.run(shorter), "\(file): this ingest cannot continue run 1: max_doc_tokens 64 → 32; give --new-run to start run 2")
        XCTAssertEqual(documentCount(file), before)
        var r = try PolylensCLI.run(shorter + ["--new-run"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.err, "polylens: \(file): starting run 2, not continuing run 1: max_doc_tokens 64 → 32\n")
        XCTAssertTrue(r.out.contains("\"run\":2"), r.out)
        r = try PolylensCLI.run(shorter + ["--new-run"])
        XCTAssertTrue(r.out.contains("\"run\":2") && r.out.contains("\"documents_committed\":0"), r.out)
        XCTAssertEqual(r.err, "")
    }

    /// stderr a pipe (a log): silent by default, plain periodic lines with --progress.
    func testProgressLinesWhenStderrIsNotATerminal() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        let dir = try temporaryDirectory("polylens-ingest-cli-")
        let quiet = try PolylensCLI.run(corpusArguments(dir + "/quiet.polylens"))
        XCTAssertEqual(quiet.status, 0, quiet.err)
        XCTAssertEqual(quiet.err, "")
        let r = try PolylensCLI.run(corpusArguments(dir + "/logged.polylens") + ["--progress", "--progress-interval", "0.2"])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.err.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 2, r.err)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("ingest ") && !$0.contains("\u{1B}") }, r.err)
        XCTAssertTrue(lines.last?.contains("done in") == true, r.err)
        let work = try XCTUnwrap(lines.first { $0.contains(" tokens · ") }, r.err)
        XCTAssertTrue(work.contains("/\(try XCTUnwrap(r.out.firstMatch(#"\"documents_committed\":(\d+)"#))) documents"), r.err)
        XCTAssertTrue(lines.first?.hasPrefix("ingest planning: 0/") == true, r.err)
    }

    /// A non-zero exit and one line on stderr that says what is wrong.
    private func assertFailure(_ r: CLIOutput, _ expected: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        XCTAssertTrue(r.err.contains(expected), r.err, file: file, line: line)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err, file: file, line: line)
        XCTAssertEqual(r.out, "", file: file, line: line)
    }

    func testBadInputsFailWithOneLineAndWriteNothing() throws {
        let dir = try temporaryDirectory("polylens-ingest-cli-")
        let model = SharedFiles.url("models/polycode").path
        let file = dir + "/out.polylens"

        var r = try PolylensCLI.run(["ingest", file, "--model", model])
        assertFailure(r, "empty corpus: give --lang, --jsonl or --parallel")

        r = try PolylensCLI.run(["ingest", file, "--model", model, "--lang", "C,Go=/usr/include/*.h"])
        assertFailure(r, "language name \"C,Go\" contains a comma")

        r = try PolylensCLI.run(["ingest", file, "--model", model, "--lang", "C=\(dir)/nothing/*.h"])
        assertFailure(r, "no file matches")

        if getuid() != 0 {
            let locked = dir + "/locked.h"
            try "int x;\n".write(toFile: locked, atomically: true, encoding: .utf8)
            chmod(locked, 0)
            r = try PolylensCLI.run(["ingest", file, "--model", model, "--lang", "C=\(locked)"])
            assertFailure(r, "\(locked): unreadable (Permission denied)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: file), "a failed ingest left a file")

        let notes = dir + "/notes.txt"
        try "not a database\n".write(toFile: notes, atomically: true, encoding: .utf8)
        r = try PolylensCLI.run(["ingest", notes, "--model", model, "--lang", "C=/usr/include/stdio.h"])
        assertFailure(r, notes)
        XCTAssertEqual(try String(contentsOfFile: notes, encoding: .utf8), "not a database\n")

        if getuid() != 0 {
            let readOnlyDir = dir + "/ro"
            try FileManager.default.createDirectory(atPath: readOnlyDir, withIntermediateDirectories: true)
            chmod(readOnlyDir, 0o555)
            r = try PolylensCLI.run(["ingest", readOnlyDir + "/x.polylens", "--model", model, "--lang", "C=/usr/include/stdio.h"])
            assertFailure(r, "not writable")
            chmod(readOnlyDir, 0o755)
        }
    }
}
