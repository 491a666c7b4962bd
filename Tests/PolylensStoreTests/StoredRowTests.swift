import GRDB
@testable import PolylensStore
import XCTest

/// StoredRow reads a column only in the storage class its Swift type stands for and names `table.column` otherwise;
/// GRDB's own decoding error, when a value fetch raises one, becomes one short line without the row it printed.
final class StoredRowTests: XCTestCase {
    func testReadsOnlyTheStorageClassOfItsType() throws {
        try DatabaseQueue().read { db in
            let row = StoredRow(try XCTUnwrap(try Row.fetchOne(db, sql: "SELECT 7 AS i, 2.5 AS r, 'abc' AS t, x'616263' AS b, NULL AS n")),
                                of: "t1")
            XCTAssertEqual(try row["i"] as Int, 7)
            XCTAssertEqual(try row["i"] as Double, 7, "an integer is a number where a real belongs")
            XCTAssertEqual(try row["r"] as Double, 2.5)
            XCTAssertEqual(try row["t"] as String, "abc")
            XCTAssertNil(try row["n"] as String?)
            XCTAssertNil(try row["absent"] as Int?, "a column the query did not select reads as nil")
            XCTAssertEqual(row.raw("b"), Data("abc".utf8).databaseValue)
            let wrong: [(() throws -> Void, String)] = [
                ({ _ = try row["b"] as String }, "t1.b holds a blob where text belongs"),  // though it is valid UTF-8
                ({ _ = try row["r"] as Int }, "t1.r holds a real number where an integer belongs"),
                ({ _ = try row["t"] as Int64 }, "t1.t holds text where an integer belongs"),
                ({ _ = try row["t"] as Double? }, "t1.t holds text where a real number belongs"),
                ({ _ = try row["n"] as Bool }, "t1.n is NULL where an integer belongs"),
                ({ _ = try row["absent"] as String }, "t1.absent is NULL where text belongs"),
            ]
            for (read, message) in wrong {
                XCTAssertThrowsError(try read(), message) { XCTAssertEqual("\($0)", message) }
            }
        }
    }

    func testGRDBsDecodingErrorIsOneShortLineWithoutTheRow() throws {
        let secret = String(repeating: "SECRET", count: 1000)
        try DatabaseQueue().read { db in
            let row = try XCTUnwrap(try Row.fetchOne(db, sql: "SELECT ? AS padding, x'ff' AS name", arguments: [secret]))
            XCTAssertThrowsError(try row.decode(String.self, forColumn: "name")) { error in
                XCTAssertTrue("\(error)".contains("SECRET"), "GRDB's own description prints the row")
                XCTAssertEqual("\(PolylensFile.describe(error, path: "F", doing: "read"))",
                               "F: could not read the file: column name holds a blob where text belongs")
            }
            XCTAssertThrowsError(try String.fetchAll(db, sql: "SELECT NULL AS sha256, ? AS padding", arguments: [secret])) { error in
                XCTAssertEqual("\(PolylensFile.describe(error, path: "F", doing: "read"))",
                               "F: could not read the file: column sha256 is NULL where text belongs")
            }
            // A text value is quoted escaped in GRDB's text: what it holds cannot pose as the column's name.
            XCTAssertThrowsError(try Row.fetchOne(db, sql: #"SELECT 'x - column: "forged"' AS n"#)!.decode(Int.self, forColumn: "n")) { error in
                XCTAssertEqual("\(PolylensFile.describe(error, path: "F", doing: "read"))",
                               "F: could not read the file: column n holds text where an integer belongs")
            }
        }
    }
}
