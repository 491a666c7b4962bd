/// A request the engine cannot carry out (token out of range, sequence too long, …); `description` is
/// the one-line message users see.
public struct EngineError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
