import GRDB
import XCTest
@testable import PolylensStore

/// The stated context order and exact top-k merging, and what the migration adds to version-1 files.
final class NeuronContextsTests: XCTestCase {
    let keys: [Int64: DocumentKey] = [
        1: DocumentKey(language: "C", sha256: "bb", itemKey: "1-1"),
        2: DocumentKey(language: "C++", sha256: "bb", itemKey: "1-1"),
        3: DocumentKey(language: "Python", sha256: "aa", itemKey: nil),
    ]

    func context(_ v: Float, _ d: Int64, _ p: Int32) -> NeuronContext { NeuronContext(value: v, document: d, position: p, tokens: []) }

    func testOrderIsValueThenContentThenPosition() {
        let order = ContextOrder(keys: keys)
        let shuffled = [context(1, 2, 5), context(2, 1, 9), context(1, 1, 5), context(1, 3, 7), context(1, 3, 2)]
        let sorted = shuffled.sorted(by: order.precedes)
        XCTAssertEqual(sorted.map { [$0.value, Float($0.document), Float($0.position)] },
                       [[2, 1, 9], [1, 3, 2], [1, 3, 7], [1, 1, 5], [1, 2, 5]])
    }

    func testMergeOfTwoTopListsIsTheTopOfTheUnion() {
        let order = ContextOrder(keys: keys)
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let all = (0..<40).map { _ in context(Float(Int.random(in: 0..<6, using: &rng)), Int64.random(in: 1...3, using: &rng),
                                                  Int32.random(in: 0..<1000, using: &rng)) }
            var seen = Set<[Int64]>()
            let unique = all.filter { seen.insert([$0.document, Int64($0.position)]).inserted }
            let split = Int.random(in: 0...unique.count, using: &rng)
            let a = Array(unique[..<split].sorted(by: order.precedes).prefix(5))
            let b = Array(unique[split...].sorted(by: order.precedes).prefix(5))
            XCTAssertEqual(order.merge(a, b, k: 5), Array(unique.sorted(by: order.precedes).prefix(5)))
        }
    }

    func testVersionOneFileGetsTheTablesWhenOpenedForWriting() throws {
        let (url, run) = try fileWithout004("v1.polylens", userVersion: 1)
        let upgraded = try PolylensFile.open(url, readOnly: false)
        XCTAssertEqual(try upgraded.activationHistograms(run: run), [])
        XCTAssertNil(try upgraded.neuronContexts(run: run, scope: "*", layer: 0))
        XCTAssertFalse(try upgraded.neuronStats(run: run).isEmpty)
        try upgraded.close()
    }

    /// A file written at the latest version by a build without 004 (migrations merged out of order) gets 004's
    /// tables when opened for writing, and keeps its version.
    func testMissingEarlierMigrationIsAppliedAtTheLatestVersion() throws {
        let (url, run) = try fileWithout004("gap.polylens", userVersion: PolylensFile.schemaVersion)
        XCTAssertEqual(try PolylensFile.open(url).activationHistograms(run: run), [], "read-only: read as it is")
        let upgraded = try PolylensFile.open(url, readOnly: false)
        try upgraded.close()
        let check = try DatabaseQueue(path: url.path)
        try check.read { db in
            XCTAssertTrue(try db.tableExists("neuron_contexts"))
            XCTAssertEqual(try Int.fetchOne(db, sql: "PRAGMA user_version"), PolylensFile.schemaVersion)
        }
    }

    /// A fixture file as a build without 004 wrote it: 004's tables and bookkeeping removed, at `userVersion`.
    private func fileWithout004(_ name: String, userVersion: Int) throws -> (URL, Int64) {
        let url = try StoreFixture.directory(self).appendingPathComponent(name)
        let (file, run) = try StoreFixture.makeFile(at: url)
        try file.close()
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            try db.execute(sql: "DROP TABLE activation_histograms; DROP TABLE neuron_contexts")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE '004%'; PRAGMA user_version = \(userVersion)")
        }
        try queue.close()
        return (url, run)
    }
}

/// A batch's histograms and contexts through commit, verify and the SQL views.
final class NeuronActivityStoreTests: XCTestCase {
    func testCommittedActivityVerifiesAndReadsBackThroughSQL() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("activity.polylens")
        let file = try PolylensFile.create(url)
        let run = try file.beginRun(StoreFixture.runInfo())
        let doc = DocumentInfo(language: "C", source: "a.c", itemKey: nil, sha256: String(repeating: "cd", count: 32), bytes: 10,
                               tokens: 5, heldOut: false, tokenIds: nil)
        var h = ActivationHistogram(language: "C", layer: 0, neurons: 2)
        h.counts[3] = 5; h.counts[ActivationBins.count + 20] = 5
        let table = NeuronContextTable(scope: "C", layer: 0, k: 3, before: 1, after: 1,
                                       contexts: [[NeuronContext(value: 2.5, document: 0, position: 3, tokens: [7, 8, 9])], []])
        let shape = ContextShape(k: 2, perLanguage: 1, before: 1, after: 1)
        try file.commit(run: run, batch: IngestBatch(documents: [doc], activity: NeuronActivityDelta(shape: shape, histograms: [h], contexts: [table])))
        XCTAssertEqual(try file.activationHistograms(run: run), [h])
        let global = try XCTUnwrap(file.neuronContexts(run: run, scope: "*", layer: 0))
        XCTAssertEqual(global.k, 2)
        XCTAssertEqual(global.contexts[0].map(\.position), [3])
        XCTAssertEqual(global.contexts[1], [])
        XCTAssertTrue(try file.verify().problems.isEmpty)
        try file.close()

        let console = try SQLConsole(url)
        let hist = try console.query("SELECT count(*), sum(count), sum(count * (lower > 0)) FROM activation_histogram_rows JOIN activation_bins USING (bin)")
        XCTAssertEqual(hist.rows, [[.integer(80), .integer(10), .integer(5)]])
        let ctx = try console.query("SELECT scope, neuron, rank, value, document, position, token FROM neuron_context_rows ORDER BY scope")
        XCTAssertEqual(ctx.rows.map { Array($0.prefix(3)) + Array($0.suffix(2)) },
                       [[.text("*"), .integer(0), .integer(0), .integer(3), .integer(8)],
                        [.text("C"), .integer(0), .integer(0), .integer(3), .integer(8)]])

        // A count past 2³¹ − 1 is refused with the file named, and nothing of the batch is written.
        var big = h
        big.counts[3] = Int64(Int32.max)
        let again = try PolylensFile.open(url, readOnly: false)
        let doc2 = DocumentInfo(language: "C", source: "b.c", itemKey: nil, sha256: String(repeating: "ef", count: 32), bytes: 10,
                                tokens: 5, heldOut: false, tokenIds: nil)
        XCTAssertThrowsError(try again.commit(run: run, batch: IngestBatch(documents: [doc2], activity: NeuronActivityDelta(shape: nil, histograms: [big], contexts: [])))) {
            XCTAssertTrue("\($0)".contains("exceeds 2³¹ − 1"), "\($0)")
        }
        XCTAssertEqual(try again.documents(run: run).count, 1)
    }
}
