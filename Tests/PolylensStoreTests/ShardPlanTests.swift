import Foundation
import XCTest
import PolylensModel
@testable import PolylensStore

/// The cut of a plan into shards (FORMAT.md, "Order and cut") and the shard naming.
final class ShardPlanTests: XCTestCase {
    func testShardsEndWhereTheRunningTotalFirstReachesTheirShare() {
        // total 100, 4 shards: thresholds 25, 50, 75; held-out documents (0) after a threshold start the next shard.
        XCTAssertEqual(ShardPlan.ranges(work: [10, 10, 10, 0, 20, 5, 30, 15], count: 4), [0..<3, 3..<5, 5..<7, 7..<8])
        // One item larger than several shares: the shards it covers are empty.
        XCTAssertEqual(ShardPlan.ranges(work: [1, 90, 1, 8], count: 4), [0..<2, 2..<2, 2..<2, 2..<4])
        // Fewer items than shards, nothing to compute, one shard.
        XCTAssertEqual(ShardPlan.ranges(work: [5], count: 3), [0..<1, 1..<1, 1..<1])
        XCTAssertEqual(ShardPlan.ranges(work: [0, 0], count: 2), [0..<0, 0..<2])
        XCTAssertEqual(ShardPlan.ranges(work: [3, 4], count: 1), [0..<2])
        XCTAssertEqual(ShardPlan.ranges(work: [], count: 2), [0..<0, 0..<0])
    }

    /// Against the rule as written, in exact rationals: contiguous, covering, and each non-last shard ends at the
    /// first index whose running total reaches (i+1)/N of the total.
    func testRandomCutsFollowTheRuleAsWritten() {
        var rng = SplitMix64(seed: 13)
        for _ in 0..<500 {
            let n = Int(rng.next() % 40), count = 1 + Int(rng.next() % 9)
            let work = (0..<n).map { _ in rng.next() % 4 == 0 ? 0 : Int(rng.next() % 5000) }
            let ranges = ShardPlan.ranges(work: work, count: count)
            XCTAssertEqual(ranges.count, count)
            XCTAssertEqual(ranges.first?.lowerBound, 0)
            XCTAssertEqual(ranges.last?.upperBound, n)
            for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
            let total = work.reduce(0, +)
            for (i, r) in ranges.enumerated().dropLast() {
                // The smallest end e ≥ 0 with sum(work[0..<e]) · count ≥ (i+1) · total.
                var e = 0, running = 0
                while e < n && running * count < (i + 1) * total { running += work[e]; e += 1 }
                XCTAssertEqual(r.upperBound, e, "work \(work), count \(count), shard \(i)")
            }
        }
    }

    func testFileNamesAndPlanHash() {
        XCTAssertEqual(ShardPlan.planFileName(shard: 3, of: 8), "plan-00003-of-00008.polylens")
        XCTAssertEqual(ShardPlan.resultFileName(shard: 12, of: 100), "result-00012-of-00100.polylens")
        let a = ShardPlan.planSHA256(shardSHA256s: ["ab", "cd"])
        XCTAssertEqual(a.count, 64)
        XCTAssertNotEqual(a, ShardPlan.planSHA256(shardSHA256s: ["cd", "ab"]))
        XCTAssertNotEqual(a, ShardPlan.planSHA256(shardSHA256s: ["abc", "d"]))
    }
}
