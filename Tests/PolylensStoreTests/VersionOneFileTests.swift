import Foundation
import GRDB
import XCTest
@testable import PolylensStore

/// Files written before schema version 2 (no language_states, unfiltered blobs) stay readable and analysable,
/// read-only as they are, and are upgraded when opened for writing.
final class VersionOneFileTests: XCTestCase {
    /// A version-1 file: the schema of 001_initial.sql alone, user_version 1, GRDB's bookkeeping of that one
    /// migration, and the fixture's data with every blob in the version-1 encoding (filter byte 0).
    static func makeVersionOneFile(at url: URL, from source: URL) throws {
        let first = try XCTUnwrap(PolylensFile.migrations.first)
        XCTAssertEqual(first.version, 1)
        let queue = try DatabaseQueue(path: url.path)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: first.sql)
            try db.execute(sql: "PRAGMA user_version = 1")
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [first.name])
            try db.execute(sql: "ATTACH DATABASE ? AS src", arguments: [source.path])
            try db.inTransaction {
                for table in ["runs", "documents", "neuron_stats", "summaries", "lens_prompts", "lens_states", "unembedding"] {
                    try db.execute(sql: "INSERT INTO main.\(table) SELECT * FROM src.\(table)")
                }
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE src")
            // Re-encode what version 2 writes shuffled.
            func plain(_ data: Data?) throws -> Data? {
                guard let data else { return nil }
                let blob = try BlobCodec.decode(data)
                return blob.bytes.withUnsafeBytes { BlobCodec.encode($0, dtype: blob.dtype, shape: blob.shape, filter: .none) }
            }
            for row in try Row.fetchAll(db, sql: "SELECT rowid, active, sum, sumsq, max FROM neuron_stats") {
                try db.execute(sql: "UPDATE neuron_stats SET active = ?, sum = ?, sumsq = ?, max = ? WHERE rowid = ?",
                               arguments: [try plain(row["active"]), try plain(row["sum"]), try plain(row["sumsq"]),
                                           try plain(row["max"]), row["rowid"] as Int64])
            }
            for row in try Row.fetchAll(db, sql: "SELECT id, token_ids FROM documents WHERE token_ids IS NOT NULL") {
                try db.execute(sql: "UPDATE documents SET token_ids = ? WHERE id = ?", arguments: [try plain(row["token_ids"]), row["id"] as Int64])
            }
            XCTAssertEqual(try Int.fetchOne(db, sql: "SELECT count(*) FROM neuron_stats WHERE substr(sum, 7, 1) != x'00'"), 0)
        }
        try queue.close()
    }

    static func userVersion(_ url: URL) throws -> Int? {
        var config = Configuration()
        config.readonly = true
        return try DatabaseQueue(path: url.path, configuration: config).read { try Int.fetchOne($0, sql: "PRAGMA user_version") }
    }

    func testVersionOneFileOpensVerifiesAndUpgrades() throws {
        let dir = try StoreFixture.directory(self)
        let v2 = dir.appendingPathComponent("v2.polylens")
        let (made, run) = try StoreFixture.makeFile(at: v2)
        let stats = try made.neuronStats(run: run)
        let summaries = try made.summaries(run: run, pooling: .weightedMean)
        try made.close()
        let v1 = dir.appendingPathComponent("v1.polylens")
        try Self.makeVersionOneFile(at: v1, from: v2)

        // Read-only: as it is, every analysis input readable, no language states.
        let old = try PolylensFile.open(v1)
        let report = try old.verify()
        XCTAssertTrue(report.isSound, report.problems.joined(separator: "\n"))
        XCTAssertEqual(report.schemaVersion, 1)
        XCTAssertEqual(try old.neuronStats(run: run), stats)
        XCTAssertEqual(try old.summaries(run: run, pooling: .weightedMean).map(\.summary.values), summaries.map(\.summary.values))
        XCTAssertEqual(try old.languageStates(run: run), [])
        XCTAssertEqual(try old.storedPoolings(run: run), Pooling.allCases)
        let info = try old.info()
        XCTAssertEqual(info.schemaVersion, 1)
        XCTAssertFalse(info.tables.contains { $0.table == "language_states" })
        try old.close()
        XCTAssertEqual(try Self.userVersion(v1), 1, "read-only opening must not upgrade")

        // Opened for writing: upgraded to version 2, data intact, new batches add language states.
        let upgraded = try PolylensFile.create(v1)
        XCTAssertEqual(try upgraded.verify().schemaVersion, PolylensFile.schemaVersion)
        XCTAssertEqual(try upgraded.neuronStats(run: run), stats)
        let more = try StoreFixture.documents(StoreFixture.corpora[0], offset: 20, count: 2)
        try upgraded.commit(run: run, batch: StoreFixture.batch(more))
        XCTAssertEqual(try upgraded.languageStates(run: run).count, StoreFixture.layers + 1)
        XCTAssertTrue(try upgraded.verify().isSound)
        try upgraded.close()
    }

    func testVersionOneFileThroughTheCommandLine() throws {
        let binary = try StoreFixture.polylensBinary()
        let dir = try StoreFixture.directory(self)
        let v2 = dir.appendingPathComponent("v2.polylens")
        try StoreFixture.makeFile(at: v2).0.close()
        let v1 = dir.appendingPathComponent("v1.polylens")
        try Self.makeVersionOneFile(at: v1, from: v2)
        for arguments in [["verify", v1.path], ["info", v1.path], ["lape", v1.path, "--format", "json"],
                          ["mexa", v1.path, "--format", "json"], ["export", v1.path, "--what", "language-states"],
                          ["sql", v1.path, "SELECT count(*) FROM summaries"]] {
            let r = try StoreFixture.run(binary, arguments)
            XCTAssertEqual(r.status, 0, "\(arguments[0]): \(r.stderr)")
        }
        let mexa = try StoreFixture.run(binary, ["mexa", v1.path, "--format", "json"])
        XCTAssertTrue(mexa.stdout.contains("\"items\""), mexa.stdout)
        // The file was only read.
        XCTAssertEqual(try Self.userVersion(v1), 1)
    }
}
