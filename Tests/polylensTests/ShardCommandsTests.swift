import Foundation
import XCTest
import PolylensModel

/// `polylens plan`, `execute` and `combine` as a user (or a Ray/Slurm job) runs them, on polycode and real C headers.
final class ShardCommandsTests: XCTestCase {
    /// A non-zero exit and one line on stderr that says what is wrong.
    private func assertFailure(_ r: CLIOutput, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        XCTAssertTrue(r.err.contains(expected), r.err, file: file, line: line)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err, file: file, line: line)
        XCTAssertEqual(r.out, "", file: file, line: line)
    }

    /// A usage error: non-zero exit, the problem on the first line (the usage follows).
    private func assertUsageError(_ r: CLIOutput, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        XCTAssertTrue(r.err.split(separator: "\n").first?.contains(expected) == true, r.err, file: file, line: line)
        XCTAssertEqual(r.out, "", file: file, line: line)
    }

    func testPlanExecuteCombineFromTheCommandLine() throws {
        let dir = try temporaryDirectory("polylens-shard-cli-")
        let plan = dir + "/plan", results = dir + "/results", combined = dir + "/combined.polylens"
        try FileManager.default.createDirectory(atPath: results, withIntermediateDirectories: false)
        let corpus = ["--model", SharedFiles.url("models/polycode").path, "--lang", "C=/usr/include/std*.h",
                      "--lang", "Python=/usr/lib/python3.11/json/*.py", "--max-doc-tokens", "128", "--max-tokens-per-language", "900"]

        var r = try PolylensCLI.run(["plan", "--out", plan, "--shards", "2"] + corpus)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("2 shards"), r.out)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: plan).sorted(),
                       ["plan-00000-of-00002.polylens", "plan-00001-of-00002.polylens"])
        assertFailure(try PolylensCLI.run(["plan", "--out", plan, "--shards", "2"] + corpus), "exists and is not empty")
        assertUsageError(try PolylensCLI.run(["plan", "--out", dir + "/p0", "--shards", "0"] + corpus), "--shards must be at least 1")

        // A plan file is a Polylens file that info and verify read.
        r = try PolylensCLI.run(["verify", plan + "/plan-00001-of-00002.polylens"])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        r = try PolylensCLI.run(["info", plan + "/plan-00001-of-00002.polylens", "--format", "json"])
        XCTAssertTrue(r.out.contains("planned_documents"), r.out)

        assertUsageError(try PolylensCLI.run(["execute", plan, "--out", results]), "give --shard i/N")
        assertUsageError(try PolylensCLI.run(["execute", plan, "--shard", "2/2", "--out", results]), "'2/2' is invalid for '--shard <i/N>'")
        assertFailure(try PolylensCLI.run(["execute", plan, "--shard", "1/3", "--out", results]), "no such file")
        r = try PolylensCLI.run(["execute", plan, "--shard", "0/2", "--out", results, "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("result-00000-of-00002.polylens: shard 0/2"), r.out)
        assertFailure(try PolylensCLI.run(["combine", plan, results, "--out", combined]), "result-00001-of-00002.polylens: missing")
        XCTAssertFalse(FileManager.default.fileExists(atPath: combined))
        // The Ray/Slurm form: one plan file; a rerun finds the result complete.
        r = try PolylensCLI.run(["execute", plan + "/plan-00001-of-00002.polylens", "--out", results, "--threads", "2"])
        XCTAssertEqual(r.status, 0, r.err)
        r = try PolylensCLI.run(["execute", plan, "--shard", "0/2", "--out", results])
        XCTAssertTrue(r.out.contains("already complete, not recomputed"), r.out)

        r = try PolylensCLI.run(["info", results + "/result-00001-of-00002.polylens"])
        XCTAssertTrue(r.out.contains("shard 1/2 of plan") && r.out.contains("shard 1/2 computed by polylens-swift"), r.out)

        r = try PolylensCLI.run(["combine", plan, results, "--out", combined])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("2 shards (polylens-swift float32)"), r.out)
        r = try PolylensCLI.run(["verify", combined])
        XCTAssertEqual(r.status, 0, r.out + r.err)
        assertFailure(try PolylensCLI.run(["combine", plan, results, "--out", combined]), "exists; combine writes a new file")
        r = try PolylensCLI.run(["sql", combined, "SELECT shard, engine, device, dtype FROM shard_results ORDER BY shard", "--format", "csv"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("0,polylens-swift,cpu,float32") && r.out.contains("1,polylens-swift,cpu,float32"), r.out)
    }
}
