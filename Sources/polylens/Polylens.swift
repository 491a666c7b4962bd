import ArgumentParser
import Foundation
import PolylensModel

@main
struct Polylens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "polylens",
        abstract: "See how a code language model represents programming languages.",
        version: PolylensVersion.string,
        subcommands: [
            IngestCommand.self,
            LapeCommand.self,
            NeuronCommand.self,
            MexaCommand.self,
            LensCommand.self,
            AblateCommand.self,
            ResultsCommand.self,
            ReportCommand.self,
            SqlCommand.self,
            InfoCommand.self,
            VerifyCommand.self,
            ExportCommand.self,
            MergeCommand.self,
            TokenizeCommand.self,
            ModelInfoCommand.self,
            GenerateCommand.self,
            PerplexityCommand.self,
            EstimateCommand.self,
            BenchCommand.self,
        ])

    /// ArgumentParser's main, plus the check that the answer reached stdout (StandardOutput).
    static func main() {
        StandardOutput.prepare()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
        StandardOutput.finish()
    }
}
