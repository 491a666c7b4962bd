@testable import PolylensTokenizer
import XCTest

final class ByteIndexedTests: XCTestCase {
    func testEveryByteReadsItsOwnEntry() {
        let table = ByteIndexed { Int($0) * 3 - 1 }
        for b in 0...255 { XCTAssertEqual(table[UInt8(b)], b * 3 - 1) }
    }
}
