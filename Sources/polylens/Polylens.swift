import ArgumentParser
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
}
