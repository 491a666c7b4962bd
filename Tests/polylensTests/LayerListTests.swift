import XCTest
@testable import polylens

/// The one parser of layer lists (mexa, export, report): numbers, ranges, and every refusal naming its option.
final class LayerListTests: XCTestCase {
    func testNumbersAndRanges() throws {
        XCTAssertEqual(try LayerList.parse("0,4,8-10", option: "--layers"), [0, 4, 8, 9, 10])
        XCTAssertEqual(try LayerList.parse(" 3 , 5-5", option: "--layers"), [3, 5])
        XCTAssertEqual(try LayerList.parse("1024", option: "--layers"), [1024])
    }

    func testRefusalsNameTheOption() {
        for (text, message) in [
            ("x", "--lens-layers: 'x' is not a layer or a range a-b"),
            ("-2", "--lens-layers: '-2' is not a layer or a range a-b"),
            ("3-1", "--lens-layers: '3-1' is not a layer or a range a-b"),
            ("1-2-3", "--lens-layers: '1-2-3' is not a layer or a range a-b"),
            ("0-99999999999", "--lens-layers: 99999999999 is beyond any model's layers (at most 1024)"),
        ] {
            XCTAssertThrowsError(try LayerList.parse(text, option: "--lens-layers"), text) { error in
                XCTAssertEqual("\(error)", message)
            }
        }
    }
}
