import ArgumentParser
import Foundation
import PolylensIngest
import PolylensModel
import PolylensStore

struct ExecuteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execute",
        abstract: "Run one shard plan and write its result shard (RESULTDIR/result-0000i-of-0000N.polylens).",
        discussion: """
        PLAN is a plan directory (with --shard i/N) or one plan file. The model recorded in the plan is opened \
        only when its sha256 matches (--model names another path to it). The result appears complete or not at \
        all (a temporary file renamed into place); a result already there is not recomputed, so reruns and \
        retries are idempotent. Ctrl-C stops without a result.
        """)

    @Argument(help: ArgumentHelp("A plan directory (with --shard) or a plan file.", valueName: "PLAN"))
    var plan: String

    @Option(help: ArgumentHelp("The shard to run, i/N (0-based).", valueName: "i/N"))
    var shard: ShardSpec?

    @Option(help: ArgumentHelp("The result directory.", valueName: "RESULTDIR"))
    var out: String

    @Option(help: "The model, when not at the path the plan records (it must have the recorded sha256).")
    var model: String?

    @Option(help: "Threads for the engine (default: all cores).")
    var threads: Int?

    @OptionGroup var progressOptions: ProgressOptions

    func validate() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: plan, isDirectory: &isDirectory), isDirectory.boolValue, shard == nil {
            throw ValidationError("\(plan) is a plan directory: give --shard i/N")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    func run() throws {
        let planURL = shard.map { ShardExecution.planFile(in: URL(fileURLWithPath: plan), shard: $0.shard, of: $0.count) }
            ?? URL(fileURLWithPath: plan)
        let printer = progressOptions.printer()
        defer { printer?.finish() }
        Interruption.install()
        let outcome = try ShardExecution.execute(plan: planURL, expected: shard.map { ($0.shard, $0.count) },
                                                 into: URL(fileURLWithPath: out), modelPath: model, threads: threads,
                                                 progress: printer.map { p in { p.update($0) } },
                                                 shouldStop: { Interruption.requested })
        printer?.finish()
        let name = "shard \(outcome.shard.shard)/\(outcome.shard.shardCount)"
        guard let report = outcome.report else {
            print("\(outcome.result.path): \(name) already complete, not recomputed")
            return
        }
        if report.interrupted {
            FileHandle.standardError.write(Data("polylens: interrupted; \(name) has no result (run the same command again)\n".utf8))
            throw ExitCode(130)
        }
        print("\(outcome.result.path): \(name), \(report.documentsCommitted) documents (\(report.heldOut) held out), \(report.promptsCommitted) lens prompts, \(report.tokensComputed) tokens in \(String(format: "%.1f", report.seconds)) s")
    }
}

/// `--shard i/N`.
struct ShardSpec: ExpressibleByArgument {
    var shard: Int
    var count: Int

    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else { return nil }
        shard = i; count = n
    }
}
