import Foundation
import GRDB
import PolylensModel

/// The outcome of `polylens verify`: sound only when there is no problem at all.
public struct VerifyReport: Sendable {
    public var schemaVersion: Int
    public var blobsChecked: Int
    /// One line per problem, naming the table, column and row of each bad blob.
    public var problems: [String]
    public var isSound: Bool { problems.isEmpty }
}

extension PolylensFile {
    /// Checks the whole file: first that its schema is exactly the one its version defines (when it is not, the
    /// differences are the problems and no table is read: a planted view could run forever), then SQLite's
    /// integrity check, foreign keys, and every blob decoded,
    /// CRC-checked and matched against the element type its column must hold.
    /// `progress` counts blobs (a large file takes a while to decode and CRC-check).
    public func verify(progress: ((WorkProgress) -> Void)? = nil) throws -> VerifyReport {
        var report = try guarded("verify") { db in
            let schema = try Self.schemaProblems(db)
            guard schema.isEmpty else {
                return VerifyReport(schemaVersion: try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0, blobsChecked: 0,
                                    problems: schema.map { "schema: \($0)" } + ["not read further: every other command refuses this file"])
            }
            var problems: [String] = []
            for line in try String.fetchAll(db, sql: "PRAGMA integrity_check") where line != "ok" {
                problems.append("integrity_check: \(line)")
            }
            for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map({ StoredRow($0, of: "foreign_key_check") }) {
                problems.append("foreign key: \(try row["table"] as String? ?? "?") row \(try row["rowid"] as Int64? ?? -1) refers to a missing \(try row["parent"] as String? ?? "?")")
            }
            // Every later check, and every reader, takes each column's values to be of its declared class.
            let classes = try storageClassProblems(db)
            guard classes.isEmpty else {
                return VerifyReport(schemaVersion: try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0, blobsChecked: 0,
                                    problems: problems + classes + ["not read further: every other command refuses a value of the wrong type"])
            }
            var checked = 0
            let blobs = try BlobColumn.all.reduce(0) { n, c in
                guard try db.tableExists(c.table) else { return n }
                return n + (try Int.fetchOne(db, sql: "SELECT count(*) FROM \(c.table) WHERE \(c.column) IS NOT NULL") ?? 0)
            }
            let meter = ProgressMeter(task: "verify", unit: "blobs", total: blobs, report: progress)
            for c in BlobColumn.all where try db.tableExists(c.table) {
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT \(c.key) AS k, \(c.column) AS b, \(c.shape ?? "NULL") AS shape
                    FROM \(c.table) WHERE \(c.column) IS NOT NULL
                    """)
                while let found = try rows.next() {
                    let row = StoredRow(found, of: c.table)
                    checked += 1
                    meter.advance(by: 1)
                    let name = "\(c.table).\(c.column) (\(try row["k"] as String? ?? "?"))"
                    guard case .blob(let data) = row.raw("b").storage else {
                        problems.append("\(name): not a blob")
                        continue
                    }
                    do {
                        let blob = try BlobCodec.decode(data)
                        if !c.dtypes.contains(blob.dtype) {
                            problems.append("\(name): holds \(blob.dtype.name), the schema says \(c.dtypes.map(\.name).joined(separator: " or "))")
                        }
                        let shape = "[" + blob.shape.map(String.init).joined(separator: ",") + "]"
                        if let expected = try row["shape"] as String?, expected != shape {
                            problems.append("\(name): has shape \(shape), its row says \(expected)")
                        }
                    } catch let e as BlobError {
                        problems.append("\(name): \(e.description)")
                    }
                }
            }
            problems += try numberProblems(db)
            problems += try lensProblems(db)
            let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            // An older version is sound (it is upgraded when opened for writing); a newer one cannot be opened.
            if version > Self.schemaVersion || version < 1 {
                problems.append("schema version \(version), this build reads 1 … \(Self.schemaVersion)")
            }
            return VerifyReport(schemaVersion: version, blobsChecked: checked, problems: problems)
        }
        if report.problems.isEmpty { report.problems += try shardProblems() }
        return report
    }
}
