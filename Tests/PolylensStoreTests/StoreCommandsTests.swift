import Foundation
import GRDB
import XCTest
@testable import PolylensStore

/// The store's commands as a user runs them: exit codes, formats, and one-line errors.
final class StoreCommandsTests: XCTestCase {
    func testInfoVerifyExportAndSql() throws {
        let binary = try StoreFixture.polylensBinary()
        let dir = try StoreFixture.directory(self)
        let url = dir.appendingPathComponent("cli.polylens")
        let (file, run) = try StoreFixture.makeFile(at: url)
        try file.close()

        let info = try StoreFixture.run(binary, ["info", url.path, "--format", "json"])
        XCTAssertEqual(info.status, 0, info.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["schema_version"] as? Int, PolylensFile.schemaVersion)
        let stored = try XCTUnwrap(json["blob_stored_bytes"] as? Int), raw = try XCTUnwrap(json["blob_raw_bytes"] as? Int)
        XCTAssertEqual(json["compression_ratio"] as? Double ?? 0, Double(raw) / Double(stored), accuracy: 1e-12)
        let text = try StoreFixture.run(binary, ["info", url.path])
        XCTAssertTrue(text.stdout.contains("run \(run): hf model /models/polycode"), text.stdout)

        let verify = try StoreFixture.run(binary, ["verify", url.path])
        XCTAssertEqual(verify.status, 0)
        XCTAssertTrue(verify.stdout.contains("sound"), verify.stdout)

        let jsonl = try StoreFixture.run(binary, ["export", url.path, "--what", "summaries", "--format", "jsonl"])
        XCTAssertEqual(jsonl.status, 0, jsonl.stderr)
        XCTAssertEqual(jsonl.stdout.split(separator: "\n").count, 22 * 3 * (StoreFixture.layers + 1))
        let lens = try StoreFixture.run(binary, ["export", url.path, "--what", "lens", "--format", "csv"])
        XCTAssertEqual(lens.stdout.split(separator: "\n").count, 1 + 2 * (StoreFixture.layers + 1) * 8)

        let sql = try StoreFixture.run(binary, ["sql", url.path, "SELECT language, count(*) AS n FROM documents GROUP BY language", "--format", "csv"])
        XCTAssertEqual(sql.status, 0, sql.stderr)
        XCTAssertEqual(sql.stdout, "language,n\nC,11\nPython,11\n")
        let table = try StoreFixture.run(binary, ["sql", url.path, "SELECT count(*) AS rows FROM neuron_rows"])
        XCTAssertEqual(table.stdout, "rows\n----\n\(6 * StoreFixture.neurons)\n(1 row)\n")
        let fromFile = try StoreFixture.run(binary, ["sql", url.path, StoreFixture.repository.appendingPathComponent("Queries/documents_per_language.sql").path, "--format", "json"])
        XCTAssertEqual(fromFile.status, 0, fromFile.stderr)
        let objects = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(fromFile.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(objects.map { $0["language"] as? String }, ["C", "Python"])
        XCTAssertEqual(objects.first?["held_out_documents"] as? Int, 2)
        let write = try StoreFixture.run(binary, ["sql", url.path, "DELETE FROM documents"])
        XCTAssertNotEqual(write.status, 0)
        XCTAssertTrue(write.stderr.contains("readonly") || write.stderr.contains("read-only") || write.stderr.contains("query_only"), write.stderr)
    }

    func testBadFilesFailWithOneLine() throws {
        let binary = try StoreFixture.polylensBinary()
        let dir = try StoreFixture.directory(self)
        let text = dir.appendingPathComponent("x.txt")
        try Data(repeating: 0x41, count: 300).write(to: text)
        for command in [["info", text.path], ["verify", text.path], ["export", text.path, "--what", "neuron-stats"],
                        ["sql", text.path, "SELECT 1"]] {
            let r = try StoreFixture.run(binary, command)
            XCTAssertNotEqual(r.status, 0, command.joined(separator: " "))
            XCTAssertEqual(r.stderr.split(separator: "\n").first.map(String.init), "Error: \(text.path): not a Polylens file (not an SQLite database)")
        }

        let url = dir.appendingPathComponent("bad.polylens")
        let (file, _) = try StoreFixture.makeFile(at: url)
        try file.close()
        let sql = try StoreFixture.run(binary, ["sql", url.path, "SELECT 1"])
        XCTAssertEqual(sql.status, 0)
        let corrupt = try PolylensFile.create(url)
        try corrupt.queue.write { db in
            var data = [UInt8](try XCTUnwrap(Data.fetchOne(db, sql: "SELECT data FROM lens_states WHERE prompt_id = 2 AND layer = 3")))
            data[60] ^= 0xFF
            try db.execute(sql: "UPDATE lens_states SET data = ? WHERE prompt_id = 2 AND layer = 3", arguments: [Data(data)])
        }
        try corrupt.close()
        let verify = try StoreFixture.run(binary, ["verify", url.path])
        XCTAssertEqual(verify.status, 1)
        XCTAssertTrue(verify.stdout.contains("lens_states.data (prompt 2, layer 3): "), verify.stdout)
        XCTAssertTrue(verify.stdout.contains("1 problem(s)"), verify.stdout)
    }
}

final class EmbeddedSchemaTests: XCTestCase {
    /// The schema is compiled into the binary: a copy elsewhere still creates files.
    func testCopiedBinaryCreatesFiles() throws {
        let dir = try StoreFixture.directory(self)
        let copy = dir.appendingPathComponent("polylens")
        try FileManager.default.copyItem(at: try StoreFixture.polylensBinary(), to: copy)
        let input = dir.appendingPathComponent("in.polylens")
        let (file, _) = try StoreFixture.makeFile(at: input)
        try file.close()
        let out = dir.appendingPathComponent("out.polylens")
        let r = try StoreFixture.run(copy, ["merge", out.path, input.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(try PolylensFile.open(out).verify().isSound)
        let schema = try FileManager.default.contentsOfDirectory(atPath: StoreFixture.repository.appendingPathComponent("Schema").path)
            .filter { $0.hasSuffix(".sql") }.map { String($0.dropLast(4)) }.sorted()
        XCTAssertEqual(PolylensFile.migrations.map(\.name), schema)
    }
}
