import XCTest
import PolylensModel
@testable import PolylensAnalysis

final class SelectionTests: XCTestCase {
    private func kth(_ v: [Double], _ k: Int) -> Double { v.withUnsafeBufferPointer { Selection.kthSmallest($0, k: k) } }

    func testKthSmallestAgainstSorting() {
        var rng = SplitMix64(seed: 1)
        // Continuous values, heavy ties (most zero, as activation probabilities), values crowded into one bin,
        // negatives and the maximum itself.
        let cases: [[Double]] = [
            (0..<5000).map { _ in Double(rng.next() % 1_000_000) / 1e6 },
            (0..<5000).map { i in i % 10 == 0 ? Double(rng.next() % 100) / 100 : 0 },
            (0..<3000).map { _ in 0.5 + Double(rng.next() % 1000) * 1e-12 } + [0, 1],
            (0..<999).map { _ in Double(Int(rng.next() % 2001) - 1000) },
            [0.3, 0.3, 0.3],
            [7],
        ]
        for values in cases {
            let sorted = values.sorted()
            for k in Set([1, 2, values.count / 3, values.count * 19 / 20, values.count - 1, values.count]) where k >= 1 && k <= values.count {
                XCTAssertEqual(kth(values, k), sorted[k - 1], "k \(k) of \(values.count)")
            }
        }
    }

    func testSmallestBreaksTiesByIndex() {
        let keys: [Double] = [3, 1, 2, 1, .infinity, 0]
        XCTAssertEqual(Selection.smallest(3, of: [0, 1, 2, 3, 4, 5], key: { keys[$0] }), [5, 1, 3])
        XCTAssertEqual(Selection.smallest(10, of: [4, 3, 2], key: { keys[$0] }), [3, 2, 4])
        XCTAssertEqual(Selection.smallest(0, of: [1], key: { keys[$0] }), [])
    }
}
