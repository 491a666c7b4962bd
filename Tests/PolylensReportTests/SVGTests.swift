import XCTest
@testable import PolylensReport

final class SVGTests: XCTestCase {
    func testLabelsAndAttributesAreEscapedAndRoundTrip() throws {
        let label = "C++ <&> \"x\" 'y'"
        let element = SVGElement("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("data-name", label)],
                                 [.element(SVGElement("text", text: label))])
        let markup = element.markup
        XCTAssertFalse(markup.contains("<&>"))
        let tree = try XMLTree.parse(element.document)
        XCTAssertEqual(tree.attributes["data-name"], label)
        XCTAssertEqual(tree.elements("text").first?.text, label)
    }

    func testControlCharactersBecomeVisibleSoTheDocumentStaysWellFormed() throws {
        let token = "a\u{0}b\u{1B}c\u{7F}\td"
        let tree = try XMLTree.parse(SVGElement("svg", [], text: token).markup)
        XCTAssertEqual(tree.text, "a\u{2400}b\u{241B}c\u{2421}\td")
    }

    func testNumbersAreShortAndNeverNaN() {
        XCTAssertEqual(SVG.num(3), "3")
        XCTAssertEqual(SVG.num(-2.5), "-2.5")
        XCTAssertEqual(SVG.num(1.23456), "1.23")
        XCTAssertEqual(SVG.num(.nan), "0")
        XCTAssertEqual(SVG.num(.infinity), "0")
    }

    func testEmptyElementIsSelfClosing() {
        XCTAssertEqual(SVGElement("rect", [("x", "1")]).markup, "<rect x=\"1\"/>")
    }
}
