/// A problem with a Polylens file, as one line naming the file and what is wrong.
public struct PolylensFileError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
