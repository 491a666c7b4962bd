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
            PlanCommand.self,
            ExecuteCommand.self,
            CombineCommand.self,
            TokenizeCommand.self,
            ModelInfoCommand.self,
            GenerateCommand.self,
            PerplexityCommand.self,
            EstimateCommand.self,
            BenchCommand.self,
        ])

    /// ArgumentParser's main, plus the check that the answer reached stdout (StandardOutput), and bad input
    /// (a validate() ValidationError, a value that does not parse) as one line like every other error: the
    /// usage ArgumentParser would add is one `--help` away.
    static func main() {
        StandardOutput.prepare()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            guard code.rawValue == ExitCode.validationFailure.rawValue else { exit(withError: error) }
            FileHandle.standardError.write(Data("Error: \(message(for: error))\n".utf8))
            Foundation.exit(code.rawValue)
        }
        StandardOutput.finish()
    }
}
