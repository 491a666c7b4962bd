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
        let dir = try StoreFixture.directory(self)
        let url = dir.appendingPathComponent("v1.polylens")
        let (file, run) = try StoreFixture.makeFile(at: url)
        try file.close()
        // Back to version 1: drop what 004 added, as a file written before it looks.
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            try db.execute(sql: "DROP TABLE activation_histograms; DROP TABLE neuron_contexts")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE '004%'; PRAGMA user_version = 1")
        }
        try queue.close()
        let upgraded = try PolylensFile.open(url, readOnly: false)
        XCTAssertEqual(try upgraded.activationHistograms(run: run), [])
        XCTAssertNil(try upgraded.neuronContexts(run: run, scope: "*", layer: 0))
        XCTAssertFalse(try upgraded.neuronStats(run: run).isEmpty)
    }
}
