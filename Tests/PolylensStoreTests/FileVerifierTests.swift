import Foundation
import GRDB
import XCTest
@testable import PolylensStore

final class FileVerifierTests: XCTestCase {
    func testSoundFilePasses() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("ok.polylens")
        let (file, _) = try StoreFixture.makeFile(at: url)
        let report = try file.verify()
        XCTAssertTrue(report.isSound, report.problems.joined(separator: "\n"))
        XCTAssertEqual(report.schemaVersion, PolylensFile.schemaVersion)
        // 22 summaries × 3 poolings, 6 stats rows × 4, 2 prompts × (1 + 4 layers), 4 held-out token lists,
        // 8 language-state rows × 2.
        XCTAssertEqual(report.blobsChecked, 66 + 24 + 10 + 4 + 16)
    }

    /// Flips bytes inside one stored blob with SQL, as a bad disk or a careless edit would.
    func testCorruptedBlobIsNamed() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("bad.polylens")
        let (file, _) = try StoreFixture.makeFile(at: url)
        try file.close()
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            let data = try XCTUnwrap(Data.fetchOne(db, sql: "SELECT sum FROM neuron_stats WHERE language = 'Python' AND layer = 1"))
            var bytes = [UInt8](data)
            for k in 40..<48 { bytes[k] ^= 0xA5 }
            try db.execute(sql: "UPDATE neuron_stats SET sum = ? WHERE language = 'Python' AND layer = 1", arguments: [Data(bytes)])
        }
        try queue.close()
        let report = try PolylensFile.open(url).verify()
        XCTAssertFalse(report.isSound)
        XCTAssertEqual(report.problems.count, 1, report.problems.joined(separator: "\n"))
        let problem = try XCTUnwrap(report.problems.first)
        XCTAssertTrue(problem.hasPrefix("neuron_stats.sum (run 1, Python, layer 1): "), problem)
        XCTAssertTrue(problem.contains("CRC mismatch") || problem.contains("corrupt LZ4"), problem)
        assertError(try PolylensFile.open(url).neuronStats(run: 1), contains: "blob neuron_stats(run 1, Python, layer 1).sum")
    }

    func testWrongElementTypeAndSchemaVersionAreProblems() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("type.polylens")
        let (file, _) = try StoreFixture.makeFile(at: url)
        try file.close()
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            try db.execute(sql: "UPDATE neuron_stats SET max = ? WHERE language = 'C' AND layer = 0",
                           arguments: [BlobCodec.encode([Double](repeating: 1, count: StoreFixture.neurons))])
            try db.execute(sql: "UPDATE summaries SET data = ? WHERE document_id = 3 AND pooling = 'last'",
                           arguments: [BlobCodec.encode([Float](repeating: 1, count: 2 * StoreFixture.dim), as: .f16, shape: [2, StoreFixture.dim])])
        }
        try queue.close()
        let problems = try PolylensFile.open(url).verify().problems
        XCTAssertEqual(problems, ["neuron_stats.max (run 1, C, layer 0): holds f64, the schema says f32",
                                  "summaries.data (document 3, last): has shape [2,\(StoreFixture.dim)], its row says [\(StoreFixture.layers + 1),\(StoreFixture.dim)]"])
    }
}
