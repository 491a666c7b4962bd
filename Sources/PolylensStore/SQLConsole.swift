import CSQLite
import Foundation
import GRDB

/// A value of a query result, independent of the SQLite binding.
public enum SQLValue: Sendable, Hashable {
    case null, integer(Int64), real(Double), text(String), blob(Data)
}

/// The columns and rows one statement returned.
public struct SQLResult: Sendable, Equatable {
    public let columns: [String]
    public let rows: [[SQLValue]]
}

/// A hardened, read-only connection for ad-hoc SQL on a file that may come from someone else: opened with
/// SQLITE_OPEN_READONLY, `query_only`, SQLITE_DBCONFIG_DEFENSIVE and `trusted_schema = OFF`, so a query can
/// neither write nor run code hidden in the file's schema. Adds the blob functions of `BlobSQLFunctions` and
/// the virtual table `neuron_rows(run, language, layer, neuron, n, p_active, mean, std, max)` (`NeuronRowsTable`).
public final class SQLConsole {
    private let queue: DatabaseQueue
    public let path: String

    public init(_ url: URL) throws {
        path = url.path
        // Identity, schema version and non-SQLite files are checked the same way as everywhere else.
        _ = try PolylensFile.open(url, readOnly: true)
        var config = Configuration()
        config.readonly = true
        config.prepareDatabase { db in
            guard polylens_sqlite_harden(UnsafeMutableRawPointer(db.sqliteConnection)) == 0 else {
                throw PolylensFileError("\(url.path): could not enable SQLite's defensive mode")
            }
            try db.execute(sql: "PRAGMA trusted_schema = OFF")
            for f in BlobSQLFunctions.all { db.add(function: f) }
            guard let connection = db.sqliteConnection, NeuronRowsTable.register(connection) else {
                throw PolylensFileError("\(url.path): could not register neuron_rows")
            }
            // Defined here too, for SQLite builds without the math functions.
            db.add(function: DatabaseFunction("sqrt", argumentCount: 1, pure: true) { args in
                Double.fromDatabaseValue(args[0]).map { $0.squareRoot() }
            })
            db.add(function: DatabaseFunction("ln", argumentCount: 1, pure: true) { args in
                Double.fromDatabaseValue(args[0]).flatMap { $0 > 0 ? Foundation.log($0) : nil }
            })
            try Self.createNeuronActivityViews(db)
            try db.execute(sql: "PRAGMA query_only = ON")
        }
        do {
            queue = try DatabaseQueue(path: url.path, configuration: config)
        } catch {
            throw PolylensFile.describe(error, path: url.path, doing: "open")
        }
    }

    /// Runs one statement and returns its columns and rows.
    public func query(_ sql: String) throws -> (columns: [String], rows: [[SQLValue]]) {
        let results = try run(sql)
        guard results.count == 1, let only = results.first else {
            throw PolylensFileError("\(path): expected one SQL statement, found \(results.count)")
        }
        return (only.columns, only.rows)
    }

    /// Runs every statement of `sql` in order (all read-only) and returns each one's result.
    public func run(_ sql: String) throws -> [SQLResult] {
        do {
            return try queue.read { (db: Database) throws -> [SQLResult] in
                var results: [SQLResult] = []
                let statements = try db.allStatements(sql: sql)
                while let statement = try statements.next() {
                    let rows: [[SQLValue]] = try Row.fetchAll(statement).map { row in row.databaseValues.map(Self.value) }
                    results.append(SQLResult(columns: statement.columnNames, rows: rows))
                }
                return results
            }
        } catch let e as DatabaseError {
            throw PolylensFileError("\(path): \(e.message ?? "\(e.resultCode)")")
        } catch let e as BlobError {
            throw PolylensFileError("\(path): \(e.description)")
        }
    }

    private static func value(_ v: DatabaseValue) -> SQLValue {
        switch v.storage {
        case .null: return .null
        case .int64(let i): return .integer(i)
        case .double(let d): return .real(d)
        case .string(let s): return .text(s)
        case .blob(let b): return .blob(b)
        }
    }
}
