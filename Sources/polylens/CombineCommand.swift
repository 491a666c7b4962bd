import ArgumentParser
import Foundation
import PolylensStore

struct CombineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "combine",
        abstract: "Check the result shards of a plan and merge them into one file, as one ingest would have written it.",
        discussion: """
        Refuses, with one line and nothing written, a plan file edited after planning, a missing, truncated or \
        duplicated result, a result of another plan or model, one whose documents or prompts differ from its plan, \
        and results of different engines or dtypes (unless --allow-mixed-engines). FILE must not exist.
        """)

    @Argument(help: ArgumentHelp("The plan directory.", valueName: "PLANDIR")) var planDirectory: String
    @Argument(help: ArgumentHelp("The result directory.", valueName: "RESULTDIR")) var resultDirectory: String

    @Option(help: ArgumentHelp("The combined file to create.", valueName: "FILE"))
    var out: String

    @Flag(help: "Combine results computed by different engines or dtypes (e.g. Swift f32 and torch bf16 shards).")
    var allowMixedEngines = false

    @OptionGroup var progressOptions: ProgressOptions

    func run() throws {
        let printer = progressOptions.printer()
        defer { printer?.finish() }
        let s = try ShardCombiner.combine(planDirectory: URL(fileURLWithPath: planDirectory),
                                          resultDirectory: URL(fileURLWithPath: resultDirectory), output: URL(fileURLWithPath: out),
                                          allowMixedEngines: allowMixedEngines, progress: printer.map { p in { p.update($0) } })
        printer?.finish()
        let engines = Set(s.results.map { "\($0.engine) \($0.dtype)" }).sorted().joined(separator: ", ")
        print("\(out): plan \(s.planSHA256.prefix(12))…, \(s.results.count) shards (\(engines)), run \(s.merged.run): \(s.merged.documents) documents, \(s.merged.lensPrompts) lens prompts")
    }
}
