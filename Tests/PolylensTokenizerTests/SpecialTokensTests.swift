import XCTest
@testable import PolylensTokenizer

final class SpecialTokensTests: XCTestCase {
    func testLongestMatchFirst() {
        let s = SpecialTokens(["<|a|>": 1, "<|a|><|b|>": 2, "<|b|>": 3, "": 9])
        XCTAssertEqual(s.split("x<|a|><|b|>y<|b|>"), [.text("x"), .special(2), .text("y"), .special(3)])
        XCTAssertEqual(s.split("<|a|>"), [.special(1)])
        XCTAssertEqual(s.split("<|a"), [.text("<|a")])
        XCTAssertEqual(s.split(""), [])
        XCTAssertEqual(s.tokens.count, 3)
    }

    func testNonASCIITextAroundTokens() {
        let s = SpecialTokens(["<s>": 1])
        XCTAssertEqual(s.split("é<s>日本<s>"), [.text("é"), .special(1), .text("日本"), .special(1)])
        XCTAssertEqual(SpecialTokens().split("<s>"), [.text("<s>")])
    }
}
