import Foundation
import XCTest
import PolylensModel
import PolylensStore

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

        r = try PolylensCLI.run(["ingest", file, "--model", model, "--lang", "klingon=/usr/include/*.h"])
        assertFailure(r, "unknown language 'klingon'")

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
