import CSQLite
import Foundation
import GRDB
import PolylensModel

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
/// SQLITE_OPEN_READONLY, `query_only` and the settings of `PolylensFile.harden` (defensive mode,
/// `trusted_schema = OFF`, no extensions, no ATTACH), on a file whose schema passed the exact-schema check, so a
/// query can neither write nor run code hidden in the file's schema. A statement SQLite does not call read-only
/// (VACUUM INTO creates its target before failing) is refused before it runs, and functions that leak process
/// state are replaced by ones that fail (`disabledFunctions`). Adds the blob functions of `BlobSQLFunctions` and
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
            try PolylensFile.harden(db, path: url.path)
            for f in BlobSQLFunctions.all + Self.disabledFunctions { db.add(function: f) }
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
                    guard statement.isReadonly else {
                        throw PolylensFileError("\(path): sql is read-only, refused: \(statement.sql.printableExcerpt(limit: 60))")
                    }
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


    /// Built-ins that must not answer: `fts3_tokenizer(name)` returns a tokenizer's address in this process's
    /// memory (and with two arguments installs one), `load_extension` runs a library. Registered under the same
    /// name and arity, these replace SQLite's and fail.
    static let disabledFunctions: [DatabaseFunction] = [("fts3_tokenizer", 1), ("fts3_tokenizer", 2),
                                                         ("load_extension", 1), ("load_extension", 2)].map { name, arity in
        DatabaseFunction(name, argumentCount: arity, pure: false) { _ -> DatabaseValue in
            throw DatabaseError(message: "\(name)() is disabled in polylens sql")
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
