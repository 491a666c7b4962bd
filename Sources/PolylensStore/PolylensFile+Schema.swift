import Foundation
import GRDB
import PolylensModel

/// One row of `sqlite_master`: what a file's schema is made of, compared object by object.
struct SchemaObject: Hashable, Comparable, CustomStringConvertible {
    let type: String
    let name: String
    let table: String
    /// Whitespace runs collapsed, so that only the statement itself counts.
    let sql: String?

    init(type: String, name: String, table: String, sql: String?) {
        self.type = type; self.name = name; self.table = table
        self.sql = sql.map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
    }

    static func < (a: Self, b: Self) -> Bool { (a.name, a.type) < (b.name, b.type) }

    /// Names come from the file: cut to a short printable excerpt.
    var description: String {
        let label = type == "index" || type == "trigger" ? "\(type) \(name) on \(table)" : "\(type) \(name)"
        return label.printableExcerpt(limit: 120)
    }

    /// Every object of `sqlite_master`. Reading it parses the schema but runs none of it.
    static func all(_ db: Database) throws -> Set<SchemaObject> {
        Set(try Row.fetchAll(db, sql: "SELECT type, name, tbl_name, sql FROM sqlite_master").map { StoredRow($0, of: "sqlite_master") }.map {
            try SchemaObject(type: $0["type"] ?? "", name: $0["name"] ?? "", table: $0["tbl_name"] ?? "", sql: $0["sql"])
        })
    }
}

extension PolylensFile {
    /// The schema a file must have: derived by applying the migrations it records (grdb_migrations, or every one
    /// up to its `user_version`) to an empty in-memory database, never kept by hand, so a new migration is
    /// covered the day it is added. Cached per set of migrations.
    static func expectedSchema(_ applied: [Migration]) throws -> Set<SchemaObject> {
        let key = applied.map(\.name).joined(separator: ",")
        expectedSchemaLock.lock(); defer { expectedSchemaLock.unlock() }
        if let cached = expectedSchemas[key] { return cached }
        let memory = try DatabaseQueue()
        try migrator(applied).migrate(memory)
        let schema = try memory.read(SchemaObject.all)
        expectedSchemas[key] = schema
        return schema
    }

    nonisolated(unsafe) private static var expectedSchemas: [String: Set<SchemaObject>] = [:]
    private static let expectedSchemaLock = NSLock()

    /// One line per object that differs from the schema the file's version defines: an extra view, trigger or
    /// index, a missing or altered table. Empty for a file that is exactly what its migrations made.
    /// Reads only `sqlite_master` and, when it is the plain table GRDB made, `grdb_migrations`.
    static func schemaProblems(_ db: Database) throws -> [String] {
        let actual = try SchemaObject.all(db)
        let version = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        let ledger = actual.first { $0.name == "grdb_migrations" }
        var applied = migrations.filter { $0.version <= version }
        if let ledger, ledger.type == "table", (try expectedSchema(Array(migrations.prefix(1)))).contains(ledger) {
            let names = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            let known = Set(migrations.map(\.name))
            if let unknown = names.first(where: { !known.contains($0) }) {
                return ["records migration \(unknown.printableExcerpt(limit: 80)), which this build does not define"]
            }
            applied = migrations.filter { names.contains($0.name) }
        }
        let expected = try expectedSchema(applied)
        let expectedByName = Dictionary(expected.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let actualNames = Set(actual.map(\.name))
        // Ranked so that the one line other commands print is the telling one: a view standing in for a table, a
        // planted view or trigger, then other extra, missing and altered objects (a renamed table also rewrites the
        // foreign keys of the tables that refer to it).
        var ranked: [(rank: Int, object: SchemaObject, line: String)] = []
        for object in actual.subtracting(expected) {
            if let want = expectedByName[object.name] {
                ranked.append(want.type == object.type
                    ? (4, object, "\(object) differs from the one schema version \(version) defines")
                    : (0, object, "\(object) stands where schema version \(version) has a \(want.type)"))
            } else {
                ranked.append((["view", "trigger"].contains(object.type) ? 1 : 2, object, "\(object) is not part of schema version \(version)"))
            }
        }
        for object in expected.subtracting(actual) where !actualNames.contains(object.name) {
            ranked.append((3, object, "\(object) of schema version \(version) is missing"))
        }
        let problems = ranked.sorted { ($0.rank, $0.object) < ($1.rank, $1.object) }.map(\.line)
        return problems
    }
}
