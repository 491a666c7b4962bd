import ArgumentParser

/// Speed benchmarks; run them from a release build (`swift build -c release`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed (release build) against same-run baselines.",
        subcommands: [
            BenchEngineCommand.self,
            BenchTokenizerCommand.self,
            BenchIngestCommand.self,
            BenchAnalysesCommand.self,
        ])
}
