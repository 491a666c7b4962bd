import ArgumentParser
import Foundation
import PolylensStore

extension ExportContent: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a Polylens file's neuron statistics, language states, summaries or lens states as CSV or JSON lines.",
        discussion: """
        neuron-stats CSV: language,layer,neuron,n,active,sum,sumsq,max (active = count of a > 0).
        language-states CSV: language,layer,dimension,n,sum,sumsq (sums of the residual stream h and h² over n tokens).
        """)

    @Argument(help: "A Polylens file.") var file: String
    @Option(help: "neuron-stats, language-states, summaries or lens.") var what: ExportContent
    @Option(help: "csv or jsonl.") var format: ExportFormat = .csv
    @Option(name: .customLong("run"), help: "The run to export (needed when the file holds several).") var runID: Int64?

    func run() throws {
        let f = try PolylensFile.open(URL(fileURLWithPath: file))
        let out = BufferedStdout()
        try f.export(what, run: try f.resolveRun(runID), format: format, to: out.line)
        out.flush()
    }
}
