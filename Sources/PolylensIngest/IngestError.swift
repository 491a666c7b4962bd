/// A problem with ingest input or output, as one line that names the file and the problem.
public struct IngestError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
