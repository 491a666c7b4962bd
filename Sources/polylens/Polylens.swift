import ArgumentParser
import PolylensModel

@main
struct Polylens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "polylens",
        abstract: "See how a code language model represents programming languages.",
        version: PolylensVersion.string,
        subcommands: [IngestCommand.self])
}
