import PolylensModel

/// A problem with a Polylens file, as one line naming the file and what is wrong.
public struct PolylensFileError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// Messages quote paths, names and values from the file: escaped for the terminal here, once for all.
    public init(_ description: String) { self.description = description.printableExcerpt(limit: 2000) }
}
