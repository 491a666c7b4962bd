import Foundation
import GRDB
import XCTest
@testable import PolylensStore

/// Schema 2 in a file: q8_0 summaries and shuffled statistics through SQL, and damaged v2 blobs named by
/// table and row in `verify` and on reading.
final class CompactStorageFileTests: XCTestCase {
    func makeQ8File() throws -> (URL, PolylensFile, Int64) {
        let url = try StoreFixture.directory(self).appendingPathComponent("q8.polylens")
        let file = try PolylensFile.create(url)
        let run = try file.beginRun(StoreFixture.runInfo())
        var batch = StoreFixture.batch(try StoreFixture.documents(StoreFixture.corpora[0], offset: 0, count: 3))
        batch.summaryCodec = .q8_0
        try file.commit(run: run, batch: batch)
        return (url, file, run)
    }

    func testQ8SummariesAndShuffledStatisticsReadBackAndQuery() throws {
        let (url, file, run) = try makeQ8File()
        XCTAssertTrue(try file.verify().isSound)
        let summaries = try file.summaries(run: run, pooling: .weightedMean)
        XCTAssertEqual(summaries.count, 3)
        let console = try SQLConsole(url)
        let rows = try console.query("""
            SELECT blob_dtype(s.data), blob_filter(s.data), blob_dtype(n.sum), blob_filter(n.sum), blob_filter(l.sumsq),
                   blob_at(s.data, 5), blob_len(s.data)
            FROM summaries s, neuron_stats n, language_states l
            WHERE s.pooling = 'weighted' AND n.layer = 0 AND l.layer = 0 ORDER BY s.document_id LIMIT 1
            """).rows
        XCTAssertEqual(Array(rows[0][0..<5]), [.text("q8_0"), .text("none"), .text("f64"), .text("shuffle"), .text("shuffle")])
        guard case .real(let v) = rows[0][5] else { return XCTFail("\(rows)") }
        XCTAssertEqual(Float(v), summaries[0].summary.values[5])
        XCTAssertEqual(rows[0][6], .integer(Int64(summaries[0].summary.values.count)))
    }

    func testDamagedV2BlobsAreNamedWithTableAndRow() throws {
        let (url, file, run) = try makeQ8File()
        try file.close()
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            let id = try XCTUnwrap(Int64.fetchOne(db, sql: "SELECT min(document_id) FROM summaries"))
            let data = try XCTUnwrap(Data.fetchOne(db, sql: "SELECT data FROM summaries WHERE document_id = ? AND pooling = 'mean'", arguments: [id]))
            try db.execute(sql: "UPDATE summaries SET data = ? WHERE document_id = ? AND pooling = 'mean'",
                           arguments: [withScale(data, block: 1, half: 0x7C00), id])
            let stats = try XCTUnwrap(Data.fetchOne(db, sql: "SELECT sum FROM neuron_stats WHERE layer = 1"))
            var unknown = stats; unknown[6] = 7
            try db.execute(sql: "UPDATE neuron_stats SET sum = ? WHERE layer = 1", arguments: [unknown])
        }
        try queue.close()
        let damaged = try PolylensFile.open(url)
        let problems = try damaged.verify().problems
        XCTAssertTrue(problems.contains { $0.hasPrefix("summaries.data (document ") && $0.hasSuffix(", mean): q8_0 block 1 has a non-finite scale (inf)") },
                      problems.joined(separator: "\n"))
        XCTAssertTrue(problems.contains { $0 == "neuron_stats.sum (run \(run), C, layer 1): unknown filter 7" }, problems.joined(separator: "\n"))
        XCTAssertThrowsError(try damaged.summaries(run: run, pooling: .mean)) {
            XCTAssertTrue("\($0)".contains("summaries(document") && "\($0)".contains("non-finite scale"), "\($0)")
        }
        XCTAssertThrowsError(try damaged.neuronStats(run: run)) {
            XCTAssertTrue("\($0)".contains("neuron_stats(run \(run), C, layer 1).sum: unknown filter 7"), "\($0)")
        }
    }
}
