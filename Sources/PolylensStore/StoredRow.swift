import GRDB

/// A row of one table of a received file, read column by column. SQLite's columns are loosely typed: a file can
/// hold text or a blob in an INTEGER column, a blob in a TEXT column, or NULL anywhere, and GRDB's `row["column"]`
/// traps on a value it cannot convert. Every read here throws a `StoredValueError` naming `table.column` instead.
struct StoredRow {
    let row: Row
    let table: String

    init(_ row: Row, of table: String) { self.row = row; self.table = table }

    /// The column as `T`; an optional `T` reads NULL, and a column the query did not select, as nil.
    subscript<T: StoredValue>(_ column: String) -> T {
        get throws {
            let value = raw(column)
            if let found = StorageClass(value) {
                if T.storageClass.accepted.contains(found), let converted = T.fromDatabaseValue(value) {
                    return converted
                }
            } else if T.acceptsNull, let null = T.fromDatabaseValue(.null) {
                return null
            }
            throw StoredValueError(table: table, column: column, found: StorageClass(value), expected: T.storageClass)
        }
    }

    /// The column's value as stored, whatever its class (NULL when the query did not select it): for blobs, which
    /// `PolylensFile.decode` checks and names itself, and for values copied as they are.
    func raw(_ column: String) -> DatabaseValue {
        (try? row.decode(DatabaseValue.self, forColumn: column)) ?? .null  // fails only for a column not selected
    }
}

/// A value of the wrong storage class in a received file, as a message naming the column, never the value.
struct StoredValueError: Error, CustomStringConvertible {
    let table: String
    let column: String
    /// nil: NULL.
    let found: StorageClass?
    let expected: StorageClass

    var description: String {
        "\(table).\(column) \(found.map { "holds \($0.phrase)" } ?? "is NULL") where \(expected.phrase) belongs"
    }
}
