import GRDB

/// SQLite's storage classes, as `typeof()` names them and a message says them.
enum StorageClass: String, Sendable {
    case integer, real, text, blob

    /// The class of a stored value; nil for NULL.
    init?(_ value: DatabaseValue) {
        switch value.storage {
        case .null: return nil
        case .int64: self = .integer
        case .double: self = .real
        case .string: self = .text
        case .blob: self = .blob
        }
    }

    /// The class a column's declared type stands for (the schema declares INTEGER, REAL, TEXT or BLOB).
    init?(declared type: String) {
        switch type.uppercased() {
        case "INTEGER": self = .integer
        case "REAL": self = .real
        case "TEXT": self = .text
        case "BLOB": self = .blob
        default: return nil
        }
    }

    /// What `typeof()` may answer for a value of this class: an INTEGER in a REAL column is a number all the same.
    var accepted: [StorageClass] { self == .real ? [.real, .integer] : [self] }

    /// "runs.model_path holds a blob where text belongs".
    var phrase: String {
        switch self {
        case .integer: return "an integer"
        case .real: return "a real number"
        case .text: return "text"
        case .blob: return "a blob"
        }
    }
}

/// A Swift type a column is read as, with the storage class it must be stored in. Stricter than GRDB's own
/// conversions (which take a UTF-8 blob as text and truncate a real to an integer), so that what a reader
/// accepts is exactly what `verify` calls sound.
protocol StoredValue: DatabaseValueConvertible {
    static var storageClass: StorageClass { get }
    /// NULL is a value (nil) rather than a problem: the optional types.
    static var acceptsNull: Bool { get }
}

extension StoredValue {
    static var acceptsNull: Bool { false }
}

extension String: StoredValue { static var storageClass: StorageClass { .text } }
extension Int: StoredValue { static var storageClass: StorageClass { .integer } }
extension Int64: StoredValue { static var storageClass: StorageClass { .integer } }
extension Bool: StoredValue { static var storageClass: StorageClass { .integer } }
extension Double: StoredValue { static var storageClass: StorageClass { .real } }

extension Optional: StoredValue where Wrapped: StoredValue {
    static var storageClass: StorageClass { Wrapped.storageClass }
    static var acceptsNull: Bool { true }
}
