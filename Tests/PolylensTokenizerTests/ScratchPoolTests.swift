@testable import PolylensTokenizer
import XCTest

final class ScratchPoolTests: XCTestCase {
    final class Counter: @unchecked Sendable { var made = 0 }

    /// Callers holding state at the same time get different states; returned ones are reused, up to 16.
    func testHandsOutOwnStatesAndReusesReturnedOnes() {
        let counter = Counter()
        let pool = ScratchPool { () -> [Int] in counter.made += 1; return [counter.made] }
        let a = pool.take(), b = pool.take()
        XCTAssertNotEqual(a, b)
        pool.give(a)
        pool.give(b)
        let (c, d) = (pool.take(), pool.take())
        XCTAssertEqual(Set([c, d]), Set([a, b]))
        XCTAssertEqual(counter.made, 2)
        pool.give(c)
        pool.give(d)
        let many = (0..<20).map { _ in pool.take() }
        XCTAssertEqual(counter.made, 20, "2 states reused, 18 made")
        for s in many { pool.give(s) }
        _ = (0..<20).map { _ in pool.take() }
        XCTAssertEqual(counter.made, 24, "16 states kept, 4 made anew")
    }
}
