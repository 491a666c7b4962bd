import Foundation
import GRDB
import PolylensStore
import XCTest

/// Issue 14: values of the wrong storage class in a received file. SQLite's columns are loosely typed, so a file can
/// hold text in an INTEGER column, a blob in a TEXT column, or NULL in a NOT NULL one; GRDB's `row["column"]` trapped
/// on them (every column of `runs` crashed every reader). Each reader now refuses such a file in one line naming the
/// file and `table.column`, and `verify` names the value. Commands run as subprocesses: a trap must fail the test,
/// not kill the test process.
final class HostileStoredValueTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        try HostileFileFixture.make()
    }

    /// (what is planted, the message, the readers of that table).
    private func cases(_ dir: String) -> [(sql: String, expected: String, readers: [[String]])] {
        let analyses = [["lape"], ["mexa"], ["lens"], ["report", "--out", dir + "/r.html"], ["export", "--what", "neuron-stats"],
                        ["neuron", "1:1"], ["results"], ["info"]]
        return [
            ("UPDATE runs SET model_path = x'ff'", "runs.model_path holds a blob where text belongs", analyses),
            // TEXT columns turn a number into text (column affinity): only a blob is of the wrong class there.
            ("UPDATE runs SET created_at = x'3230'", "runs.created_at holds a blob where text belongs", [["info"]]),
            ("UPDATE documents SET source = x'ff'", "documents.source holds a blob where text belongs",
             [["mexa"], ["report", "--out", dir + "/r.html"], ["export", "--what", "summaries", "--format", "jsonl"]]),
            // info sums documents.tokens in SQL, where text would turn into a real number: it names the text.
            ("UPDATE documents SET tokens = 'abc'", "documents.tokens holds text where an integer belongs", [["info"], ["mexa"]]),
            ("UPDATE neuron_stats SET tokens = 'abc'", "neuron_stats.tokens holds text where an integer belongs",
             [["lape"], ["report", "--out", dir + "/r.html"], ["export", "--what", "neuron-stats"]]),
            ("UPDATE lens_prompts SET first_position = x'00'", "lens_prompts.first_position holds a blob where an integer belongs",
             [["lens"], ["report", "--out", dir + "/r.html"], ["export", "--what", "lens", "--format", "jsonl"]]),
            ("UPDATE activation_histograms SET neurons = 'abc'", "activation_histograms.neurons holds text where an integer belongs",
             [["neuron", "1:1"]]),
            ("UPDATE neuron_contexts SET k = 2.5", "neuron_contexts.k holds a real number where an integer belongs",
             [["neuron", "1:1"]]),
            ("UPDATE neuron_sets SET parameters_json = x'7b7d'", "neuron_sets.parameters_json holds a blob where text belongs",
             [["results"]]),
            ("""
             INSERT INTO ablation_runs (run_id, set_name, set_sha256, set_parameters_json, parameters_json, created_at)
             VALUES (1, 's1', x'ff', '{}', '{}', '2026-01-01T00:00:00Z')
             """, "ablation_runs.set_sha256 holds a blob where text belongs", [["results"]]),
        ]
    }

    func testEveryReaderRefusesAValueOfTheWrongStorageClassInOneLine() throws {
        let dir = try temporaryDirectory("hostile-classes-")
        for (k, c) in cases(dir).enumerated() {
            let path = try HostileFileFixture.copy(into: dir, name: "f\(k).polylens", sql: c.sql)
            try? FileManager.default.removeItem(atPath: dir + "/r.html")
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            for reader in c.readers + [["merge", dir + "/merged\(k).polylens"]] {
                let arguments = reader[0] == "merge" ? reader + [path] : [reader[0], path] + reader.dropFirst()
                let r = try runBounded(arguments)
                assertRefused(r, path + ": ", "\(c.expected): \(reader[0])")
                XCTAssertTrue(r.err.contains(c.expected), "\(reader[0]) on \(c.expected): \(r.err)")
                XCTAssertFalse(r.err.contains("Fatal error") || r.err.contains("row: ["), "GRDB's trap or row dump: \(r.err)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/merged\(k).polylens"), "merge wrote \(c.expected)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/r.html"), "report wrote \(c.expected)")
            let v = try runBounded(["verify", path])
            XCTAssertEqual(v.status, 1, "verify: \(c.expected)")
            XCTAssertTrue(v.out.contains(c.expected + " ("), "verify: \(v.out)")
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "a reader wrote to the file")
        }
    }

    /// NULL in a NOT NULL column (planted by rewriting the table's definition and back, as a hand-made file could)
    /// is named by `verify` and refused by readers; NULL where the schema allows it (documents.item_key of corpus
    /// documents) is sound.
    func testNullInANotNullColumnIsNamed() throws {
        let dir = try temporaryDirectory("hostile-null-")
        let path = try HostileFileFixture.copy(into: dir)
        let declared = try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "SELECT sql FROM sqlite_master WHERE name = 'runs'") } ?? ""
        let loose = declared.replacingOccurrences(of: "model_path        TEXT NOT NULL", with: "model_path        TEXT")
        XCTAssertNotEqual(loose, declared, "the runs definition changed: update this test")
        for sql in ["PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = '\(loose)' WHERE name = 'runs'",
                    "UPDATE runs SET model_path = NULL",
                    "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = '\(declared)' WHERE name = 'runs'"] {
            let db = try DatabaseQueue(path: path)
            try db.writeWithoutTransaction { try $0.execute(sql: sql) }
            try db.close()
        }
        let v = try runBounded(["verify", path])
        XCTAssertEqual(v.status, 1, v.out)
        XCTAssertTrue(v.out.contains("runs.model_path is NULL where text belongs (1 row)"), v.out)
        assertRefused(try runBounded(["info", path]), "\(path): runs.model_path is NULL where text belongs", "info")

        let clean = try runBounded(["verify", try HostileFileFixture.copy(into: dir, name: "clean.polylens")])
        XCTAssertEqual(clean.status, 0, clean.out)
    }
}
