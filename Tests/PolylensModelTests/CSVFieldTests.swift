import Foundation
import XCTest
import PolylensModel

/// The one CSV quoting: RFC 4180, and text that a spreadsheet would run as a formula neutralised.
final class CSVFieldTests: XCTestCase {
    func testPlainFieldsAndNumbersStayAsTheyAre() {
        for s in ["C", "Python", "0", "-0.5", "+3", "1e-05", "-inf", "nan", "", "a b"] {
            XCTAssertEqual(CSVField.quote(s), s)
        }
    }

    func testFormulaPrefixesGetAQuoteMark() {
        XCTAssertEqual(CSVField.quote("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"")
        XCTAssertEqual(CSVField.quote("+cmd|' /C calc'!A0"), "'+cmd|' /C calc'!A0")
        XCTAssertEqual(CSVField.quote("-2+3"), "'-2+3")
        XCTAssertEqual(CSVField.quote("@SUM(A1)"), "'@SUM(A1)")
        XCTAssertEqual(CSVField.quote("\t=1"), "'\t=1")
        XCTAssertEqual(CSVField.quote("\r=1"), "\"'\r=1\"")
        XCTAssertEqual(CSVField.quote("a=1"), "a=1")
    }

    func testRFC4180Quoting() {
        XCTAssertEqual(CSVField.quote("a,b"), "\"a,b\"")
        XCTAssertEqual(CSVField.quote("say \"hi\""), "\"say \"\"hi\"\"\"")
        XCTAssertEqual(CSVField.quote("two\nlines"), "\"two\nlines\"")
        XCTAssertEqual(CSVField.line(["C#", "x,y", "-1"]), "C#,\"x,y\",-1")
    }

    /// The JSON writer's text read back by the strict reader gives the same value.
    func testJSONTextReadsBack() throws {
        let value = JSONValue.object(["language": .string("C\"\\\n\u{1}é/"), "layer": .int(3), "values": .numbers([0.5, -1, .nan]),
                                      "ok": .bool(true), "none": .null])
        let read = try JSONValue.read(Data(value.text.utf8))
        XCTAssertEqual(read.object?["language"], .string("C\"\\\n\u{1}é/"))
        XCTAssertEqual(read.object?["values"], .array([.double(0.5), .double(-1), .null]))
        XCTAssertEqual(read.object?["layer"], .int(3))
        XCTAssertEqual(JSONValue.objectText([("b", .integer(1)), ("a", .string("x"))]), "{\"b\":1,\"a\":\"x\"}")
    }
}
