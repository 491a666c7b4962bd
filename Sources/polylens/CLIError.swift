import PolylensModel

/// A one-line error about what a command found at run time (a file's contents, a missing run); option
/// values that do not parse are `ValidationError`s. ArgumentParser prints it and exits non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    /// Escaped for the terminal: messages quote names and paths read from files.
    init(_ description: String) { self.description = description.printableExcerpt(limit: 2000) }
}
