import XCTest
@testable import PolylensReport

final class CSVTableTests: XCTestCase {
    func testQuotingFollowsRFC4180() {
        let t = CSVTable(fileName: "t.csv", header: ["name", "value"],
                         rows: [[.text("a,b"), .number(0.5, decimals: 1)], [.text("say \"hi\"\nthere"), .number(.nan, decimals: 2)],
                                [.text("plain"), .integer(-3)]])
        XCTAssertEqual(t.csv, "name,value\r\n\"a,b\",0.5\r\n\"say \"\"hi\"\"\nthere\",\r\nplain,-3\r\n")
    }

    func testNumbersKeepFullPrecisionInCSVAndRoundOnThePage() {
        let cell = CSVTable.Cell.number(1.0 / 3, decimals: 2)
        XCTAssertEqual(cell.display, "0.33")
        XCTAssertEqual(Double(cell.csv), 1.0 / 3)
    }

    func testDataURIDecodesToTheCSV() throws {
        let t = CSVTable(fileName: "t.csv", header: ["язык", "C++ <&>"], rows: [])
        let payload = try XCTUnwrap(t.dataURI.split(separator: ",", maxSplits: 1).last)
        XCTAssertEqual(String(data: try XCTUnwrap(Data(base64Encoded: String(payload))), encoding: .utf8), t.csv)
    }
}
