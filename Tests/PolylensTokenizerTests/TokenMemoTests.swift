@testable import PolylensTokenizer
import XCTest

final class TokenMemoTests: XCTestCase {
    private func append(_ memo: TokenMemo, _ key: String, to out: inout [Int32]) -> Bool {
        Array(key.utf8).withUnsafeBufferPointer { memo.append($0.baseAddress!, $0.count, to: &out) }
    }

    private func remember(_ memo: inout TokenMemo, _ key: String, _ ids: [Int32]) {
        Array(key.utf8).withUnsafeBufferPointer { memo.remember($0.baseAddress!, $0.count, ids: ids) }
    }

    func testRemembersIdsPerKeyAndAppendsThem() {
        var memo = TokenMemo()
        remember(&memo, "for", [7])
        remember(&memo, "fo", [3, 4])
        remember(&memo, "x", [])
        var out: [Int32] = [1]
        XCTAssertTrue(append(memo, "fo", to: &out))
        XCTAssertTrue(append(memo, "for", to: &out))
        XCTAssertTrue(append(memo, "x", to: &out))
        XCTAssertFalse(append(memo, "f", to: &out))
        XCTAssertFalse(append(memo, "form", to: &out))
        XCTAssertEqual(out, [1, 3, 4, 7])
    }

    /// The first ids remembered for a key stay (a key is remembered only after a miss, so a second one is a bug
    /// of the caller; the memo must still not hand out a mix).
    func testFirstIdsOfAKeyWin() {
        var memo = TokenMemo()
        remember(&memo, "ab", [1, 2])
        remember(&memo, "ab", [9])
        var out: [Int32] = []
        XCTAssertTrue(append(memo, "ab", to: &out))
        XCTAssertEqual(out, [1, 2])
    }

    /// Memory stays bounded: past about 2^20 ids the memo starts over, and answers correctly after.
    func testStartsOverPastItsLimit() {
        var memo = TokenMemo()
        let ids = [Int32](repeating: 5, count: 1000)
        for k in 0..<1100 { remember(&memo, "key\(k)", ids) }
        var out: [Int32] = []
        XCTAssertFalse(append(memo, "key0", to: &out), "the first keys were dropped when the memo started over")
        XCTAssertTrue(append(memo, "key1099", to: &out))
        XCTAssertEqual(out, ids)
    }
}
