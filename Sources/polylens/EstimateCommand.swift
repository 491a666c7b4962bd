import ArgumentParser
import Foundation
import PolylensEngine
import PolylensIngest
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// Bytes per table, forward tokens, FLOPs and time of an ingest before running it.
struct EstimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Project the size of a Polylens file and the time of its ingest, per table, before running it.",
        discussion: """
        The model may be a checkpoint or a bare config.json. Give either ingest's corpus options (--lang, --jsonl,
        --parallel, --prompts: the corpus is read and tokenized as ingest would, nothing is run) or explicit counts
        (--languages, --documents-per-language, --tokens-per-language, --parallel-items, --parallel-languages,
        --lens-pairs, --lens-items). Storage options as in ingest. Time is at the engine's prefill speed measured
        now on this machine (a synthetic stories110M-shaped model, a few seconds) unless --gflops is given.
        """)

    @OptionGroup var arguments: IngestArguments

    @Option(parsing: .unconditional, help: "Corpus languages.") var languages: Int?
    @Option(parsing: .unconditional, help: "Corpus documents per language.") var documentsPerLanguage: Int?
    @Option(parsing: .unconditional, help: "Corpus tokens per language (BOS included, after truncation).") var tokensPerLanguage: Int?
    @Option(parsing: .unconditional, help: "Parallel items (the paper: 581).") var parallelItems: Int?
    @Option(parsing: .unconditional, help: "Languages of the parallel items, English included (the paper: 8).") var parallelLanguages: Int?
    @Option(parsing: .unconditional, help: "Ordered language pairs of the lens prompts (the paper: 42).") var lensPairs: Int?
    @Option(parsing: .unconditional, help: "Mean positions per lens prompt that predict the target snippet (explicit counts).") var lensPositions: Double = 40
    @Option(parsing: .unconditional, help: "Mean tokens per lens prompt (explicit counts).") var lensPromptTokens: Double = 400
    @Option(parsing: .unconditional, help: "Mean tokens per parallel snippet (explicit counts).") var parallelTokens: Double = 120

    @Option(help: "Raw lens states (ingest --lens-states, which also stores the unembedding): none, f16 or q8_0.") var lensStates = "none"
    @Option(parsing: .unconditional, help: "Prefill speed in GFLOP/s instead of measuring it.") var gflops: Double?
    @Option(help: "table, csv or json.") var format: OutputFormat = .table

    private var explicitCounts: [Int?] { [languages, documentsPerLanguage, tokensPerLanguage, parallelItems, parallelLanguages, lensPairs] }

    func validate() throws {
        let corpus = !arguments.lang.isEmpty || !arguments.jsonl.isEmpty || arguments.parallel != nil
        let explicit = explicitCounts.contains { $0 != nil }
        if corpus && explicit { throw ValidationError("give either corpus options (--lang, --jsonl, --parallel) or explicit counts, not both") }
        if !corpus && !explicit { throw ValidationError("give corpus options (--lang, --jsonl, --parallel) or explicit counts (--languages …)") }
        if explicitCounts.contains(where: { ($0 ?? 0) < 0 }) { throw ValidationError("counts must not be negative") }
        if !["f16", "q8_0", "none"].contains(lensStates) { throw ValidationError("--lens-states must be f16, q8_0 or none, got \(lensStates)") }
        for (value, option) in [(lensPositions, "--lens-positions"), (lensPromptTokens, "--lens-prompt-tokens"), (parallelTokens, "--parallel-tokens")] {
            try OptionCheck.atLeast(0, value, option)
        }
        if let gflops, !(gflops > 0) { throw ValidationError("--gflops must be positive") }
    }

    func run() throws {
        var shape = try studyShape()
        shape.lensStateCodec = lensStates == "none" ? nil : (lensStates == "q8_0" ? .q8_0 : .f16)
        shape.embedUnembedding = lensStates != "none"
        let estimate = StorageEstimate(shape, emptyFileBytes: try StorageEstimate.measuredEmptyFileBytes())
        let speed = try gflops ?? measuredGFLOPS()
        print(render(estimate, shape: shape, gflops: speed))
    }

    /// The study from ingest's own corpus walk, or from the explicit counts.
    private func studyShape() throws -> StudyShape {
        let options = try arguments.options(lensStates: lensStates != "none", defaultHeldOut: 0.1)
        let config = try Self.modelConfig(arguments.model)
        if explicitCounts.allSatisfy({ $0 == nil }) {
            let tokenizerURL = try tokenizerFile()
            let ingestor = try Ingestor(weights: ShapeOnlyWeights(config), modelPath: arguments.model,
                                        tokenizer: try TokenizerLoader.load(tokenizerURL), tokenizerURL: tokenizerURL, options: options)
            return try ingestor.studyShape()
        }
        var s = StudyShape(model: config)
        s.languages = languages ?? 0
        s.documentsPerLanguage = documentsPerLanguage ?? 0
        s.tokensPerLanguage = tokensPerLanguage ?? 0
        s.parallelItems = parallelItems ?? 0
        s.parallelLanguages = parallelLanguages ?? 0
        s.lensPairs = lensPairs ?? 0
        s.lensItems = s.lensPairs > 0 ? arguments.lensItems : 0
        s.lensPositionsPerPrompt = lensPositions
        s.lensTokensPerPrompt = lensPromptTokens
        s.parallelTokensPerItem = parallelTokens
        s.heldOutFraction = options.heldOut
        s.storage = options.storage
        s.lensTop = options.lensTop
        s.activationHistograms = options.activationHistograms
        s.contexts = options.contexts
        return s
    }

    private func tokenizerFile() throws -> URL {
        if let t = arguments.tokenizer { return URL(fileURLWithPath: t) }
        guard let found = TokenizerLoader.tokenizerFile(forModel: URL(fileURLWithPath: arguments.model)) else {
            throw CLIError("\(arguments.model): the model names no tokenizer; give --tokenizer FILE")
        }
        return found.url
    }

    /// A checkpoint's numbers, or a bare config.json's (a file, or a directory holding only the config).
    static func modelConfig(_ path: String) throws -> LlamaConfig {
        let url = URL(fileURLWithPath: path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("\(path): no such file or directory")
        }
        if !isDirectory.boolValue && url.pathExtension == "json" { return try LlamaConfig(huggingFaceConfig: url) }
        if isDirectory.boolValue {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if files.contains("config.json") && !files.contains(where: { $0.hasSuffix(".safetensors") }) {
                return try LlamaConfig(huggingFaceConfig: url.appendingPathComponent("config.json"))
            }
        }
        return try ModelLoader.load(url).config
    }

    /// Prefill GFLOP/s of the engine on this machine, now: a synthetic stories110M-shaped model, 256 tokens.
    private func measuredGFLOPS() throws -> Double {
        guard let c = EngineBenchmark.shapes["stories110M"] else { return 100 }
        let threads = arguments.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let r = try EngineBenchmark.run(shape: "stories110M", config: c, weights: RandomWeights(c), threads: threads,
                                        tokens: 256, generate: 0, repeats: 1)
        return r.prefillGFLOPS
    }

    private func render(_ e: StorageEstimate, shape s: StudyShape, gflops: Double) -> String {
        let seconds = e.flops / (gflops * 1e9)
        switch format {
        case .json:
            let object: [String: Any] = [
                "model": arguments.model,
                "tables": e.tables.map { ["table": $0.table, "rows": Int($0.rows.rounded()), "bytes": Int($0.bytes.rounded())] },
                "total_bytes": Int(e.totalBytes.rounded()),
                "forward_tokens": Int(e.forwardTokens.rounded()), "flops": e.flops, "gflops": gflops, "seconds": seconds,
                "languages": s.languages, "documents_per_language": s.documentsPerLanguage,
                "tokens_per_language": s.tokensPerLanguage, "parallel_items": s.parallelItems,
                "parallel_languages": s.parallelLanguages, "lens_pairs": s.lensPairs, "lens_items": s.lensItems,
                "poolings": s.storage.poolings.map(\.rawValue), "summary_codec": s.storage.summaryCodec.name,
                "corpus_summaries": s.storage.corpusSummaries, "held_out_tokens": s.storage.heldOutTokens.map { $0 as Any } ?? NSNull(),
                "lens_states": s.lensStateCodec?.name ?? "none",
            ]
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
            return String(decoding: data, as: UTF8.self)
        case .csv:
            return (["table,rows,bytes"] + e.tables.map { "\($0.table),\(Int($0.rows.rounded())),\(Int($0.bytes.rounded()))" }
                + ["total,,\(Int(e.totalBytes.rounded()))"]).joined(separator: "\n")
        case .table:
            var lines = ["\(arguments.model): dim \(s.model.dim), \(s.model.nLayers) layers, MLP \(s.model.hiddenDim), vocab \(s.model.vocabSize)",
                         "study: \(s.languages) languages × \(s.documentsPerLanguage) documents, \(s.tokensPerLanguage) tokens each; \(s.parallelItems) parallel items × \(s.parallelLanguages) languages; \(s.lensPairs) lens pairs × \(s.lensItems) items",
                         "table                   rows          bytes"]
            func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(0, width - text.count)) + text }
            for t in e.tables {
                lines.append(t.table.padding(toLength: 18, withPad: " ", startingAt: 0) + pad(String(format: "%.0f", t.rows), 10)
                             + pad(Self.size(t.bytes), 15))
            }
            lines.append("total".padding(toLength: 28, withPad: " ", startingAt: 0) + pad(Self.size(e.totalBytes), 15))
            lines.append(String(format: "forward tokens %.4g, %.4g FLOP, %.1f h at %.1f GFLOP/s (prefill measured here)",
                                e.forwardTokens, e.flops, seconds / 3600, gflops))
            return lines.joined(separator: "\n")
        }
    }

    static func size(_ bytes: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = bytes, u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return (u == 0 ? String(format: "%.0f", v) : String(format: "%.2f", v)) + " " + units[u]
    }
}

/// A model of which only the numbers are known (a bare config.json): enough to select documents.
private final class ShapeOnlyWeights: ModelWeights, @unchecked Sendable {
    let config: LlamaConfig
    let format = "config"
    var files: [URL] { [] }
    init(_ config: LlamaConfig) { self.config = config }
    func tensor(_ t: LlamaTensor) throws -> TensorView { throw ValidationError("a bare config has no tensor \(t)") }
}
