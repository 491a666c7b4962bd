import Foundation
import GRDB

extension PolylensFile {
    /// Every value whose storage class is not the one its column declares, table by table (SQLite's columns are
    /// loosely typed: nothing but this check stops text in an INTEGER column or a blob in a TEXT one), and every
    /// NULL in a NOT NULL column. One line per (column, class found), with the number of rows. Cheap: `typeof()`
    /// reads no blob payload, and each table is scanned once unless it has a problem. `only`: these tables alone.
    func storageClassProblems(_ db: Database, only: [String]? = nil) throws -> [String] {
        var problems: [String] = []
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        for table in tables where only?.contains(table) ?? true {
            let columns = try Row.fetchAll(db, sql: "SELECT name, type, \"notnull\" FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
                .map { StoredRow($0, of: "pragma_table_info") }
                .compactMap { c -> (name: String, declared: StorageClass, allowed: String)? in
                    guard let declared = StorageClass(declared: try c["type"]) else { return nil }
                    let classes = declared.accepted.map(\.rawValue) + (try c["notnull"] as Bool ? [] : ["null"])
                    return (try c["name"], declared, classes.map { "'\($0)'" }.joined(separator: ", "))
                }
            guard !columns.isEmpty else { continue }
            let quoted = { (name: String) in "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            let counts = try Row.fetchOne(db, sql: "SELECT " + columns.map { "ifnull(sum(typeof(\(quoted($0.name))) NOT IN (\($0.allowed))), 0)" }
                .joined(separator: ", ") + " FROM \(quoted(table))")
            for (i, column) in columns.enumerated() where try (counts.map { try $0.decode(Int64.self, atIndex: i) } ?? 0) > 0 {
                for found in try Row.fetchAll(db, sql: """
                    SELECT typeof(\(quoted(column.name))) AS t, count(*) AS n FROM \(quoted(table))
                    WHERE typeof(\(quoted(column.name))) NOT IN (\(column.allowed)) GROUP BY 1 ORDER BY 1
                    """).map({ StoredRow($0, of: table) }) {
                    let n: Int = try found["n"]
                    let error = StoredValueError(table: table, column: column.name, found: StorageClass(rawValue: try found["t"]),
                                                 expected: column.declared)
                    problems.append("\(error) (\(n) row\(n == 1 ? "" : "s"))")
                }
            }
        }
        return problems
    }

    /// Refuses a file with any value of the wrong storage class (in `only` these tables), naming the first: for
    /// `merge`, which copies values as they are stored, and for readers that aggregate in SQL (`sum()` turns text
    /// into a real number, which would name the wrong class).
    func requireStorageClasses(only tables: [String]? = nil, _ db: Database) throws {
        if let problem = try storageClassProblems(db, only: tables).first {
            throw PolylensFileError("\(path): \(problem)")
        }
    }

    func requireStorageClasses() throws {
        try guarded("check the values of") { try requireStorageClasses($0) }
    }
}
