import GRDB
import PolylensModel

extension RowDecodingError {
    /// What went wrong, without what GRDB's description adds: the whole row (raw content of the file) and the SQL.
    /// Only the leading "could not decode T from database value V" and the column GRDB names are kept; V is
    /// reduced to its storage class. Reads through StoredRow never get here; a value fetch (`String.fetchAll`)
    /// still can.
    var summary: String {
        let text = description
        guard text.hasPrefix("could not decode "), let from = text.range(of: " from database value ") else {
            return "a value of the wrong type"
        }
        let type = text[text.index(text.startIndex, offsetBy: 17)..<from.lowerBound]
        let value = text[from.upperBound...].prefix { $0 != " " }
        let found = value.hasPrefix("NULL") ? "is NULL" : value.hasPrefix("Data(") ? "holds a blob"
            : value.hasPrefix("\"") ? "holds text" : value.contains(".") ? "holds a real number" : "holds an integer"
        let expected = type.contains("String") ? "text" : type.contains("Data") ? "a blob"
            : type.contains("Double") || type.contains("Float") ? "a real number" : "an integer"
        // A text value is printed escaped (String(reflecting:)), so `- column: "` cannot come from inside it.
        var column = "a value"
        if let c = text.range(of: " - column: \""), let end = text[c.upperBound...].firstIndex(of: "\"") {
            column = "column " + String(text[c.upperBound..<end]).printableExcerpt(limit: 60)
        }
        return "\(column) \(found) where \(expected) belongs"
    }
}
