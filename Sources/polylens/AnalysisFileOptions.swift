import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensStore

/// The options every analysis command shares: the file, its run, the output format and the plot.
struct AnalysisFileOptions: ParsableArguments {
    @Argument(help: "A Polylens file (from `polylens ingest`).") var file: String
    @Option(name: .customLong("run"), parsing: .unconditional, help: "The run to analyse (needed when the file holds several).") var runID: Int64?
    @Option(help: "table, csv or json (on stdout).") var format: OutputFormat = .table
    @Option(help: "Also draw the result as an SVG chart into this file.") var plot: String?

    func validate() throws { try OutputPath.refuse(plot, option: "--plot", ifAnyOf: [file]) }

    func open(readOnly: Bool = true) throws -> (file: PolylensFile, run: Int64) {
        let f = try PolylensFile.open(URL(fileURLWithPath: file), readOnly: readOnly)
        return (f, try f.resolveRun(runID))
    }

    /// Runs a command's analysis. An `AnalysisError` (a language without statistics, a layer the file lacks) is
    /// about this file's contents, so it names the file, as every other error does.
    func namingFile(_ analyse: () throws -> Void) throws {
        do { try analyse() } catch let e as AnalysisError {
            let named = e.description.hasPrefix(file) || e.description.hasPrefix(URL(fileURLWithPath: file).path)
            throw CLIError(named ? e.description : "\(file): \(e)")
        }
    }
}

/// `--languages C,Python,...` matched without case against the languages a file holds, in the order given.
enum LanguageSelection {
    static func resolve(_ option: String?, available: [String], file: String) throws -> [String]? {
        guard let option else { return nil }
        return try option.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map { name in
            guard let hit = available.first(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) else {
                throw CLIError("\(file): no language '\(name)' (it holds: \(available.joined(separator: ", ")))")
            }
            return hit
        }
    }
}
