import ArgumentParser
import Foundation
import PolylensIngest
import PolylensModel
import PolylensStore

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan an ingest as N shard files that `execute` (or the Python worker) runs anywhere and `combine` joins.",
        discussion: """
        Decides every input exactly as `ingest` would (documents, truncation, budgets, held-out split, lens prompts, \
        token sets) and writes PLANDIR/plan-0000i-of-0000N.polylens: contiguous ranges of the plan order balanced by \
        tokens to compute. Combining the executed shards in order gives the file one ingest would write. \
        PLANDIR must not exist (or be empty); it appears complete or not at all.
        """)

    @Option(help: ArgumentHelp("The plan directory to create.", valueName: "PLANDIR"))
    var out: String

    @Option(help: "Number of shards.")
    var shards: Int

    @OptionGroup var arguments: IngestArguments

    @Flag(help: "Executors also store the raw lens states and the final norm and unembedding (f16).")
    var lensStates = false

    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        if shards < 1 { throw ValidationError("--shards must be at least 1, got \(shards)") }
    }

    func run() throws {
        let options = try arguments.options(lensStates: lensStates, defaultHeldOut: 0.1)
        let (weights, tokenizer, tokenizerURL) = try arguments.load()
        let ingestor = try Ingestor(weights: weights, modelPath: arguments.model, tokenizer: tokenizer,
                                    tokenizerURL: tokenizerURL, options: options)
        let printer = progressOptions.printer()
        defer { printer?.finish() }
        let summary = try ingestor.writeShardPlans(
            to: URL(fileURLWithPath: out), count: shards,
            planning: printer.map { p in { p.update("plan: \(WorkProgress.count($0))/\(WorkProgress.count($1)) corpus documents read", finished: false) } },
            progress: printer.map { p in { p.update($0) } })
        printer?.finish()
        print("\(summary.directory.path): plan \(summary.planSHA256.prefix(12))…, \(summary.shards.count) shards, \(summary.documents) documents (\(summary.heldOut) held out), \(summary.prompts) lens prompts, tokens per shard \(summary.shards.map { String($0.tokens) }.joined(separator: " "))")
    }
}
