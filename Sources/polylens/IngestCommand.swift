import ArgumentParser
import Foundation
import PolylensIngest
import PolylensModel
import PolylensStore

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Run the model over a corpus and store neuron statistics, summaries and the logit lens in FILE.",
        discussion: """
        Creates FILE or adds to it. Running the same command again after an interruption (even kill -9)
        resumes the run: committed documents are skipped and the result equals an uninterrupted run.
        The file grows: more --lang/--jsonl specs, languages, documents or a higher --max-tokens-per-language
        continue the same run and compute only the new documents. Options that change how a document is
        processed or what is stored for it (model, tokenizer, --max-doc-tokens, --held-out, ...) need a new
        run: ingest says why and stops before computing anything, unless --new-run.
        Ctrl-C stops after the current document and prints what is committed and the command that resumes.
        """)

    @Argument(help: "The Polylens file to create or add to.")
    var file: String

    @OptionGroup var arguments: IngestArguments

    @Flag(help: "Also store the raw lens states and the final norm and unembedding (f16), for token sets decided later (the lens results are stored either way).")
    var lensStates = false

    @Option(help: "With --lens-states: how the states are stored: f16, or q8_0 (GGUF blocks of 32, ≈ 1.06 bytes a value; lens --recompute then moves probabilities by up to 1e-2, f16 by 3e-4).")
    var lensStateCodec = "f16"

    func validate() throws { _ = try stateCodec() }

    /// `--lens-state-codec` as a blob dtype.
    private func stateCodec() throws -> BlobDType {
        guard let codec = StorageOptions.summaryCodecs.first(where: { $0.name == lensStateCodec }) else {
            throw ValidationError("--lens-state-codec must be f16 or q8_0, got \(lensStateCodec)")
        }
        return codec
    }

    @Flag(help: ArgumentHelp("The older name of --lens-states.", visibility: .hidden))
    var embedUnembedding = false

    @Flag(help: "Start a new run when the options differ from every run in FILE in a way that needs one (a run they match continues).")
    var newRun = false

    @OptionGroup var progressOptions: ProgressOptions

    @Option(help: "Summary on stdout: text or json.")
    var format: Format = .text

    func run() throws {
        var options = try arguments.options(lensStates: lensStates || embedUnembedding, defaultHeldOut: 0.1)
        options.lensStateCodec = try stateCodec()
        let (weights, tokenizer, tokenizerURL) = try arguments.load()
        let ingestor = try Ingestor(weights: weights, modelPath: arguments.model, tokenizer: tokenizer,
                                    tokenizerURL: tokenizerURL, options: options)
        let polylensFile = try PolylensFile.create(URL(fileURLWithPath: file))
        let choice = try ingestor.chooseRun(in: polylensFile, allowNewRun: newRun)
        if let message = choice.message { FileHandle.standardError.write(Data("polylens: \(file): \(message)\n".utf8)) }
        let printer = progressOptions.printer()
        defer { printer?.finish() }
        Interruption.install()
        let report = try ingestor.run(into: polylensFile, choice: choice, threads: arguments.threads,
                                      planning: printer.map { p in { p.update("ingest planning: \(WorkProgress.count($0))/\(WorkProgress.count($1)) corpus documents read", finished: false) } },
                                      progress: printer.map { p in { p.update($0) } }, shouldStop: { Interruption.requested })
        let held = try (polylensFile.documentKeys(run: report.run).count, polylensFile.lensPromptKeys(run: report.run).count)
        try polylensFile.close()
        printer?.finish()
        print(format.render(report, file: file))
        if report.interrupted {
            FileHandle.standardError.write(Data(Self.interruptionNote(report, file: file, held: held).utf8))
            throw ExitCode(130)
        }
    }

    /// What an interrupted ingest committed, and the command that resumes it (this one, as typed).
    static func interruptionNote(_ r: Ingestor.Report, file: String, held: (documents: Int, prompts: Int)) -> String {
        """
        polylens: interrupted. \(file) is consistent: run \(r.run) holds \(held.documents) documents and \(held.prompts) lens prompts \
        (this call committed \(r.documentsCommitted) documents and \(r.promptsCommitted) prompts; the \(r.discarded) computed since \
        the last commit were discarded; \(r.left) of this call's work remain). Resume with the same command:
          \(CommandLine.arguments.map(shellQuoted).joined(separator: " "))

        """
    }

    static func shellQuoted(_ s: String) -> String {
        let plain = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./=:,+@%"))
        if !s.isEmpty && s.unicodeScalars.allSatisfy(plain.contains) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
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
                ("interrupted", r.interrupted), ("discarded", r.discarded), ("left", r.left),
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
