import CSQLite
import Foundation
import GRDB

/// A value of a query result, independent of the SQLite binding.
public enum SQLValue: Sendable, Hashable {
    case null, integer(Int64), real(Double), text(String), blob(Data)
}

/// A hardened, read-only connection for ad-hoc SQL on a file that may come from someone else: opened with
/// SQLITE_OPEN_READONLY, `query_only`, SQLITE_DBCONFIG_DEFENSIVE and `trusted_schema = OFF`, so a query can
/// neither write nor run code hidden in the file's schema. Adds the blob functions of `BlobSQLFunctions` and
/// the TEMP view `neuron_rows(run, language, layer, neuron, n, p_active, mean, std, max)`, neuron statistics
/// as rows, built on a recursive CTE over `blob_at`.
public final class SQLConsole {
    private let queue: DatabaseQueue
    public let path: String

    /// The `neuron_rows` view: one row per (run, language, layer, neuron). Each statistics row is decoded once
    /// (`neuron_stats_json`) and spread into rows by `json_each`. std is the population standard deviation;
    /// p_active, mean and std are NULL when n = 0, max is NULL where no token was counted.
    static let neuronRowsView = """
        CREATE TEMP VIEW neuron_rows AS
        SELECT s.run_id AS run, s.language, s.layer, j.key AS neuron, s.tokens AS n,
               json_extract(j.value, '$[0]') AS p_active, json_extract(j.value, '$[1]') AS mean,
               json_extract(j.value, '$[2]') AS std, json_extract(j.value, '$[3]') AS max
        FROM main.neuron_stats s, json_each(neuron_stats_json(s.tokens, s.active, s.sum, s.sumsq, s.max)) j
        """

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
            // Defined here too, for SQLite builds without the math functions.
            db.add(function: DatabaseFunction("sqrt", argumentCount: 1, pure: true) { args in
                Double.fromDatabaseValue(args[0]).map { $0.squareRoot() }
            })
            db.add(function: DatabaseFunction("ln", argumentCount: 1, pure: true) { args in
                Double.fromDatabaseValue(args[0]).flatMap { $0 > 0 ? Foundation.log($0) : nil }
            })
            try db.execute(sql: Self.neuronRowsView)
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
        do {
            return try queue.read { (db: Database) throws -> (columns: [String], rows: [[SQLValue]]) in
                let statement = try db.makeStatement(sql: sql)
                let rows: [[SQLValue]] = try Row.fetchAll(statement).map { row in row.databaseValues.map(Self.value) }
                return (columns: statement.columnNames, rows: rows)
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
