import CSQLite
import Foundation
import GRDB

/// One Polylens database: everything an ingest computed, in a single portable SQLite file (Schema/FORMAT.md).
/// Written in WAL mode, so other processes can read while an ingest commits.
public final class PolylensFile {
    /// `PRAGMA application_id` of every Polylens file: "PLNS".
    public static let applicationID: Int32 = 0x504C_4E53
    /// The schema version this build writes and reads (`PRAGMA user_version`).
    public static var schemaVersion: Int { migrations.last?.version ?? 0 }

    public let url: URL
    public let readOnly: Bool
    let queue: DatabaseQueue
    private var closed = false

    private init(url: URL, readOnly: Bool, queue: DatabaseQueue) {
        self.url = url; self.readOnly = readOnly; self.queue = queue
    }

    /// Opens `url` for writing, creating an empty Polylens file when there is none.
    public static func create(_ url: URL) throws -> PolylensFile {
        try connect(url, readOnly: false, creating: true)
    }

    /// Opens an existing Polylens file; read-only unless asked. A file whose schema is not exactly the one its
    /// version defines (a planted view, trigger or index, an altered table) is refused before anything is read.
    public static func open(_ url: URL, readOnly: Bool = true) throws -> PolylensFile {
        try connect(url, readOnly: readOnly, creating: false)
    }

    /// Opens a file read-only even when its schema differs, for `verify` alone: `verify` names the differences
    /// and then reads no table (a view over `runs` could run forever).
    public static func inspect(_ url: URL) throws -> PolylensFile {
        try connect(url, readOnly: true, creating: false, checkingSchema: false)
    }

    var path: String { url.path }

    /// Closes the file. A writer first returns the file from WAL to a rollback journal when no one else has it
    /// open, so that the single file can be read from read-only media; any later call fails.
    public func close() throws {
        guard !closed else { return }
        closed = true
        if !readOnly {
            try? queue.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA busy_timeout = 0")
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
            }
        }
        try queue.close()
    }

    deinit { try? close() }

    // MARK: - Opening

    private static func connect(_ url: URL, readOnly: Bool, creating: Bool, checkingSchema: Bool = true) throws -> PolylensFile {
        let path = url.path
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw PolylensFileError("\(path): is a directory, not a Polylens file") }
            try checkSQLiteHeader(path)
            if !readOnly && !fm.isWritableFile(atPath: path) {
                throw PolylensFileError("\(path): file is not writable")
            }
        } else if creating {
            let dir = url.deletingLastPathComponent().path
            guard fm.fileExists(atPath: dir, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw PolylensFileError("cannot create \(path): directory \(dir) does not exist")
            }
            guard fm.isWritableFile(atPath: dir) else {
                throw PolylensFileError("cannot create \(path): directory \(dir) is not writable")
            }
        } else {
            throw PolylensFileError("\(path): no such file")
        }

        var config = Configuration()
        config.readonly = readOnly
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(30)
        // WAL is switched on only after the checks (`enableWAL`): it rewrites the header, and a refused file must
        // be left byte for byte as it was.
        config.journalMode = .default
        config.prepareDatabase { db in try harden(db, path: path) }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw describe(error, path: path, doing: "open")
        }
        let file = PolylensFile(url: url, readOnly: readOnly, queue: queue)
        try file.checkIdentityAndMigrate(allowInitialize: creating, checkingSchema: checkingSchema)
        return file
    }

    /// The one place every connection to a Polylens file is configured for files from strangers: SQLite's
    /// defensive mode, `trusted_schema = OFF`, no extension loading, no ATTACH, bounded SQL and trigger depth
    /// (CSQLite/shim.h). Together with the exact-schema check nothing the file brought can run.
    static func harden(_ db: Database, path: String) throws {
        guard let connection = db.sqliteConnection,
              polylens_sqlite_harden(UnsafeMutableRawPointer(connection)) == 0 else {
            throw PolylensFileError("\(path): could not enable SQLite's defensive mode")
        }
        polylens_sqlite_limit(UnsafeMutableRawPointer(connection))
        try db.execute(sql: "PRAGMA trusted_schema = OFF")
    }

    /// A file that is not SQLite at all gets its own message rather than SQLite's "file is not a database".
    private static func checkSQLiteHeader(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PolylensFileError("\(path): cannot read the file")
        }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if head.isEmpty { return }  // an empty file becomes a new database
        guard head == Data("SQLite format 3\0".utf8) else {
            throw PolylensFileError("\(path): not a Polylens file (not an SQLite database)")
        }
    }

    private func checkIdentityAndMigrate(allowInitialize: Bool, checkingSchema: Bool) throws {
        let (appID, version, objects) = try guarded("read the header of") { db in
            (try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0,
             try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0)
        }
        let latest = Self.schemaVersion
        if appID == Self.applicationID {
            if version > latest {
                throw PolylensFileError("\(path): written by a newer Polylens (schema version \(version); this build reads up to \(latest)); upgrade Polylens")
            }
            if checkingSchema, let problem = try guarded("read the schema of", Self.schemaProblems).first {
                throw PolylensFileError("\(path): refused, its schema is not Polylens' own (\(problem)); `polylens verify` lists every difference")
            }
            // An older file opened read-only is read as it is: readers treat the tables of later migrations as
            // empty (e.g. no lens_results before schema 3). Opened for writing, it is upgraded.
            if readOnly { return }
            try enableWAL()
            // Migrations merged out of order (004 after 005) leave a file at the latest version without an
            // earlier one: apply whatever is missing, not only what is newer.
            if version == latest, try guarded("read the migrations of", { try Self.migrator.hasCompletedMigrations($0) }) { return }
        } else if appID != 0 || objects != 0 || !allowInitialize || readOnly {
            throw PolylensFileError("\(path): not a Polylens file (an SQLite database with application_id \(appID) and \(objects) schema objects)")
        }
        if appID != Self.applicationID { try enableWAL() }
        do {
            try Self.migrator.migrate(queue)
        } catch {
            throw Self.describe(error, path: path, doing: "initialize the schema of")
        }
    }

    /// What GRDB's `.wal` journal mode does, done once the file has passed the checks.
    private func enableWAL() throws {
        do {
            try queue.writeWithoutTransaction { db in
                guard try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL") == "wal" else {
                    throw PolylensFileError("\(path): could not switch the file to WAL mode")
                }
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        } catch {
            throw Self.describe(error, path: path, doing: "open")
        }
    }

    // MARK: - Migrations

    struct Migration { let version: Int; let name: String; let sql: String }

    static let migrations: [Migration] = EmbeddedSchema.migrations.compactMap { m in
        guard let version = Int(m.name.prefix { $0.isNumber }) else { return nil }
        return Migration(version: version, name: m.name, sql: m.sql)
    }.sorted { $0.version < $1.version }

    private static var migrator: DatabaseMigrator { migrator(migrations) }

    static func migrator(_ chosen: [Migration]) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for m in chosen {
            migrator.registerMigration(m.name) { db in
                try db.execute(sql: m.sql)
                let current = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
                try db.execute(sql: "PRAGMA user_version = \(max(current, m.version))")
            }
        }
        return migrator
    }

    // MARK: - Access with clear errors

    func guarded<T>(_ doing: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try queue.read(body)
        } catch {
            throw Self.describe(error, path: path, doing: doing)
        }
    }

    func writing<T>(_ doing: String, _ body: (Database) throws -> T) throws -> T {
        guard !readOnly else { throw PolylensFileError("\(path): opened read-only, cannot \(doing)") }
        do {
            return try queue.write(body)
        } catch {
            throw Self.describe(error, path: path, doing: doing)
        }
    }

    static func describe(_ error: Error, path: String, doing: String) -> Error {
        switch error {
        case is PolylensFileError:
            return error
        case let e as BlobError:
            return PolylensFileError("\(path): \(e.description)")
        case let e as StoredValueError:
            return PolylensFileError("\(path): \(e.description)")
        case let e as RowDecodingError:
            return PolylensFileError("\(path): could not \(doing) the file: \(e.summary)")
        case let e as DatabaseError:
            switch e.resultCode {
            case .SQLITE_FULL: return PolylensFileError("\(path): disk full, could not \(doing) the file (nothing was written)")
            case .SQLITE_READONLY: return PolylensFileError("\(path): read-only, could not \(doing) the file")
            case .SQLITE_NOTADB: return PolylensFileError("\(path): not a Polylens file (not an SQLite database)")
            case .SQLITE_CORRUPT: return PolylensFileError("\(path): the database is corrupt (\(e.message ?? "")), could not \(doing) it")
            case .SQLITE_CANTOPEN: return PolylensFileError("\(path): cannot open the file to \(doing) it")
            default: return PolylensFileError("\(path): could not \(doing) the file: \(e.message ?? "\(e.resultCode)")")
            }
        default:
            return PolylensFileError("\(path): could not \(doing) the file: \(error)")
        }
    }

    static func now() -> String { Date().ISO8601Format() }
}
