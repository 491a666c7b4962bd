import ArgumentParser
import Foundation
import PolylensIngest
import PolylensStore

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Run the model over a corpus and store neuron statistics, summaries and the logit lens in FILE.",
        discussion: """
        Creates FILE or adds to it. Running the same command again after an interruption (even kill -9)
        resumes the run: committed documents are skipped and the result equals an uninterrupted run.
        """)

    @Argument(help: "The Polylens file to create or add to.")
    var file: String

    @OptionGroup var arguments: IngestArguments

    @Flag(help: "Also store the raw lens states and the final norm and unembedding (f16), for token sets decided later (the lens results are stored either way).")
    var lensStates = false

    @Flag(help: ArgumentHelp("The older name of --lens-states.", visibility: .hidden))
    var embedUnembedding = false

    @Option(help: "Summary on stdout: text or json.")
    var format: Format = .text

    func run() throws {
        let options = try arguments.options(lensStates: lensStates || embedUnembedding, defaultHeldOut: 0.1)
        let (weights, tokenizer, tokenizerURL) = try arguments.load()
        let ingestor = try Ingestor(weights: weights, modelPath: arguments.model, tokenizer: tokenizer,
                                    tokenizerURL: tokenizerURL, options: options)
        let polylensFile = try PolylensFile.create(URL(fileURLWithPath: file))
        let printer = ProgressPrinter.forStandardError()
        defer { printer?.finish() }
        let report = try ingestor.run(into: polylensFile, threads: arguments.threads, progress: printer.map { p in { p.update($0) } })
        try polylensFile.close()
        printer?.finish()
        print(format.render(report, file: file))
    }

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json

        func render(_ r: Ingestor.Report, file: String) -> String {
            let fields: [(String, Any)] = [
                ("file", file), ("run", r.run),
                ("documents_committed", r.documentsCommitted), ("prompts_committed", r.promptsCommitted),
                ("documents_resumed", r.documentsResumed), ("prompts_resumed", r.promptsResumed),
                ("held_out", r.heldOut), ("duplicates", r.duplicates), ("empty", r.empty), ("over_budget", r.overBudget),
                ("prompts_too_long", r.promptsTooLong),
                ("tokens_computed", r.tokensComputed), ("seconds", (r.seconds * 1000).rounded() / 1000),
                ("tokens_per_second", r.seconds > 0 ? (Double(r.tokensComputed) / r.seconds).rounded() : 0),
            ]
            switch self {
            case .text:
                return fields.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
            case .json:
                let object = Dictionary(uniqueKeysWithValues: fields)
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
                return String(decoding: data, as: UTF8.self)
            }
        }
    }
}
