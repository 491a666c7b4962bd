import Foundation
import GRDB
import PolylensModel
import PolylensStore
import XCTest

/// Issue 14, item 3: a Polylens file from someone else. Each case is planted in a copy of a real ingest; every
/// command refuses it in one line, within seconds, writes nothing and runs nothing the file brought; `verify`
/// names what is wrong.
final class HostilePolylensFileTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        try HostileFileFixture.make()
    }

    /// Every reading command, on `path`, with outputs under `dir`.
    private func readers(_ path: String, _ dir: String) -> [[String]] {
        [["info", path], ["sql", path, "SELECT count(*) FROM documents"], ["lape", path], ["mexa", path], ["lens", path],
         ["report", path, "--out", dir + "/report.html"], ["export", path, "--what", "neuron-stats"],
         ["merge", dir + "/merged.polylens", path], ["ablate", path, "--set", "s1", "--control", "none", "--eval-tokens", "8"]]
    }

    /// A view planted over `runs` with an endless recursive query hung every command but `sql`, and `verify`
    /// called the file sound.
    func testRecursiveViewOverRunsIsRefusedByEveryCommand() throws {
        let dir = try temporaryDirectory("hostile-view-")
        let path = try HostileFileFixture.copy(into: dir, sql: """
            ALTER TABLE runs RENAME TO runs_data;
            CREATE VIEW runs AS WITH RECURSIVE forever(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM forever)
                SELECT runs_data.* FROM runs_data, forever;
            """)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for arguments in readers(path, dir) {
            let started = Date()
            let r = try runBounded(arguments)
            assertRefused(r, "refused, its schema is not Polylens' own (view runs stands where schema version \(PolylensFile.schemaVersion) has a table)", arguments[0])
            XCTAssertLessThan(Date().timeIntervalSince(started), 10, arguments[0])
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/report.html"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/merged.polylens"))
        let v = try runBounded(["verify", path])
        XCTAssertEqual(v.status, 1, v.err)
        XCTAssertTrue(v.out.contains("schema: view runs stands where schema version \(PolylensFile.schemaVersion) has a table"), v.out)
        XCTAssertTrue(v.out.contains("schema: table runs_data is not part of schema version \(PolylensFile.schemaVersion)"), v.out)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "nothing written")
    }

    /// Triggers planted in a received file fired during `ingest`, `lape --save` and `merge`: statistics deleted,
    /// `model_path` rewritten, and `verify` then said sound.
    func testPlantedTriggersNeverFire() throws {
        let dir = try temporaryDirectory("hostile-trigger-")
        let path = try HostileFileFixture.copy(into: dir, sql: """
            CREATE TRIGGER wipe AFTER INSERT ON neuron_sets BEGIN DELETE FROM neuron_stats; END;
            CREATE TRIGGER steal AFTER INSERT ON documents BEGIN UPDATE runs SET model_path = '/etc/shadow'; END;
            CREATE TRIGGER steal_merge AFTER UPDATE ON neuron_stats BEGIN UPDATE runs SET model_path = '/etc/shadow'; END;
            """)
        let other = try HostileFileFixture.copy(into: dir, name: "other.polylens")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for arguments in [["ingest", path] + HostileFileFixture.ingestArguments + ["--max-tokens-per-language", "3000"],
                          ["lape", path, "--per-language", "5", "--save", "s2"],
                          ["merge", path, other], ["merge", dir + "/out.polylens", other, path]] {
            assertRefused(try runBounded(arguments, seconds: 120), "refused, its schema is not Polylens' own (trigger ", arguments[0])
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before, "\(arguments[0]) wrote to the file")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/out.polylens"))
        let v = try runBounded(["verify", path])
        XCTAssertEqual(v.status, 1)
        for name in ["trigger steal on documents", "trigger steal_merge on neuron_stats", "trigger wipe on neuron_sets"] {
            XCTAssertTrue(v.out.contains("schema: \(name) is not part of schema version \(PolylensFile.schemaVersion)"), v.out)
        }
        // Read without Polylens: the statistics and the model path are as the ingest left them.
        let db = try DatabaseQueue(path: path, configuration: { var c = Configuration(); c.readonly = true; return c }())
        try db.read { db in
            XCTAssertGreaterThan(try Int.fetchOne(db, sql: "SELECT count(*) FROM neuron_stats") ?? 0, 0)
            XCTAssertEqual(try String.fetchOne(db, sql: "SELECT model_path FROM runs"), HostileFileFixture.model)
        }
    }

    /// A renamed table, an extra index and an altered column are each refused; a pristine copy is not.
    func testRenamedAlteredOrIndexedTablesAreRefused() throws {
        let dir = try temporaryDirectory("hostile-rename-")
        let cases: [(String, String)] = [
            ("ALTER TABLE lens_prompts RENAME TO prompts", "table prompts is not part of schema version \(PolylensFile.schemaVersion)"),
            ("CREATE INDEX sneaky ON documents(language)", "index sneaky on documents is not part of schema version \(PolylensFile.schemaVersion)"),
            ("ALTER TABLE runs ADD COLUMN note TEXT", "table runs differs from the one schema version \(PolylensFile.schemaVersion) defines"),
            ("DROP TABLE ablation_documents", "table ablation_documents of schema version \(PolylensFile.schemaVersion) is missing"),
        ]
        for (k, (sql, expected)) in cases.enumerated() {
            let path = try HostileFileFixture.copy(into: dir, name: "f\(k).polylens", sql: sql)
            assertRefused(try runBounded(["lape", path]), expected, sql)
            let v = try runBounded(["verify", path])
            XCTAssertEqual(v.status, 1, sql)
            XCTAssertTrue(v.out.contains("schema: " + expected), "\(sql): \(v.out)")
        }
        let clean = try HostileFileFixture.copy(into: dir, name: "clean.polylens")
        let v = try runBounded(["verify", clean])
        XCTAssertEqual(v.status, 0, v.out)
    }

    /// `sql` can never write, attach, load extensions or VACUUM INTO, and fts3_tokenizer (a process address)
    /// and load_extension answer with an error.
    func testSQLCannotWriteAttachLoadOrLeak() throws {
        let dir = try temporaryDirectory("hostile-sql-")
        let path = try HostileFileFixture.copy(into: dir)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let statements = [
            "VACUUM INTO '\(dir)/copy.polylens'", "ATTACH DATABASE '\(dir)/x.db' AS x", "ATTACH DATABASE '\(path)' AS again",
            "SELECT fts3_tokenizer('simple')", "SELECT hex(fts3_tokenizer('porter'))", "SELECT load_extension('libm.so.6')",
            "SELECT fts3_tokenizer('simple', x'0000000000000000')", "DELETE FROM neuron_stats",
            "CREATE TEMP TRIGGER t AFTER INSERT ON documents BEGIN SELECT 1; END", "PRAGMA journal_mode = DELETE",
            "VACUUM", "REINDEX", "ANALYZE", "PRAGMA user_version = 7",
        ]
        for statement in statements {
            let r = try runBounded(["sql", path, statement])
            XCTAssertNotEqual(r.status, 0, "\(statement): \(r.out)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(statement): \(r.err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/copy.polylens"), "VACUUM INTO created its target")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.db"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        // Reading still works, and no function answers with anything that depends on this process's memory.
        let ok = try runBounded(["sql", path, "SELECT count(*) AS n FROM documents", "--format", "csv"])
        XCTAssertEqual(ok.status, 0, ok.err)
        XCTAssertTrue(ok.out.hasPrefix("n\n"), ok.out)
        // Defensive mode: writable_schema may be set but never lets sqlite_master be written.
        let schema = try runBounded(["sql", path, "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'CREATE TABLE x(y)' WHERE name = 'runs'"])
        XCTAssertNotEqual(schema.status, 0, schema.out)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
    }

    /// Absurd numbers in rows: one line naming the table and row, never an allocation attempt or a trap; `verify`
    /// calls the file unsound.
    func testAbsurdNumbersAreErrorsNamingTheRow() throws {
        let dir = try temporaryDirectory("hostile-numbers-")
        let huge = try HostileFileFixture.copy(into: dir, name: "huge.polylens",
                                               sql: "UPDATE lens_prompts SET layers = 1000000000, dim = 1000000000")
        for arguments in [["lens", huge, "--recompute"], ["export", huge, "--what", "lens", "--format", "jsonl"]] {
            let r = try runBounded(arguments)
            XCTAssertNotEqual(r.status, 0, arguments[0])
            XCTAssertTrue(r.err.contains("lens_prompts(") && r.err.contains("claims 1000000000 layers"), "\(arguments[0]): \(r.err)")
        }
        var v = try runBounded(["verify", huge])
        XCTAssertEqual(v.status, 1, v.out)
        XCTAssertTrue(v.out.contains(".layers = 1000000000, outside 1…1025"), v.out)

        // An integer where a blob belongs died on a conversion trap in lape, report, export and merge.
        let integer = try HostileFileFixture.copy(into: dir, name: "integer.polylens",
                                                  sql: "UPDATE neuron_stats SET active = 12345 WHERE rowid = (SELECT min(rowid) FROM neuron_stats)")
        for arguments in [["lape", integer], ["report", integer, "--out", dir + "/r.html"], ["export", integer, "--what", "neuron-stats"],
                          ["merge", dir + "/m.polylens", integer]] {
            let r = try runBounded(arguments)
            XCTAssertNotEqual(r.status, 0, arguments[0])
            // merge checks every value's storage class before it writes, and names the column and the count.
            let row = arguments[0] == "merge" ? "neuron_stats.active" : "neuron_stats(run 1, "
            XCTAssertTrue(r.err.contains(row) && r.err.contains("active holds an integer where a blob belongs"),
                          "\(arguments[0]): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/m.polylens"))
        v = try runBounded(["verify", integer])
        XCTAssertEqual(v.status, 1, v.out)
        XCTAssertTrue(v.out.contains("neuron_stats.active holds an integer where a blob belongs (1 row)"), v.out)

        // --layers 0-99999999999 allocated 800 GB.
        let r = try runBounded(["mexa", try HostileFileFixture.copy(into: dir, name: "plain.polylens"), "--layers", "0-99999999999"])
        assertRefused(r, "--layers: 99999999999 is beyond any model's layers (at most 1024)", "mexa --layers")
    }

    /// A 10 KB language name made `mexa` take 62 s and `lape` 14.5 s: now a one-line error within a second or two.
    func testLongLanguageNameIsBoundedInTime() throws {
        let dir = try temporaryDirectory("hostile-language-")
        let long = String(repeating: "x", count: 10_000)
        let path = try HostileFileFixture.copy(into: dir, sql: """
            UPDATE documents SET language = '\(long)' WHERE language = 'Python';
            UPDATE neuron_stats SET language = '\(long)' WHERE language = 'Python';
            UPDATE language_states SET language = '\(long)' WHERE language = 'Python';
            """)
        for command in ["lape", "mexa"] {
            let started = Date()
            let r = try runBounded([command, path])
            assertRefused(r, "is 10000 bytes long, not a language name (at most 256)", command)
            XCTAssertLessThan(Date().timeIntervalSince(started), 5, command)
        }
        let v = try runBounded(["verify", path])
        XCTAssertEqual(v.status, 1, v.out)
        XCTAssertTrue(v.out.contains("is text of 10000 characters, not a language name"), v.out)
    }

    /// ANSI escapes stored in a model path or a language name reached the terminal.
    func testEscapesFromTheFileNeverReachTheTerminal() throws {
        let dir = try temporaryDirectory("hostile-ansi-")
        let path = try HostileFileFixture.copy(into: dir, sql: """
            UPDATE runs SET model_path = char(27) || ']0;owned' || char(7) || '/models/x' || char(27) || '[2J';
            UPDATE documents SET language = 'C' || char(27) || '[31m' WHERE language = 'C';
            UPDATE neuron_stats SET language = 'C' || char(27) || '[31m' WHERE language = 'C';
            UPDATE language_states SET language = 'C' || char(27) || '[31m' WHERE language = 'C';
            """)
        for arguments in [["info", path], ["lape", path, "--per-language", "5"], ["lape", path, "--per-language", "5", "--format", "csv"],
                          ["ablate", path, "--set", "s1", "--no-save"]] {
            let r = try runBounded(arguments, seconds: 120)
            XCTAssertFalse(r.out.contains("\u{1B}") || r.err.contains("\u{1B}") || r.out.contains("\u{7}") || r.err.contains("\u{7}"),
                           "\(arguments): \(r.out.prefix(400)) \(r.err.prefix(400))")
            XCTAssertTrue((r.out + r.err).contains("\\u{1b}"), "\(arguments): \(r.out.prefix(400)) \(r.err.prefix(400))")
        }
    }
}
