import Foundation

/// A problem with the inputs of an analysis, as one line that names what is wrong.
public struct AnalysisError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
