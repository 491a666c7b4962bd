import ArgumentParser
import Foundation
import PolylensEngine
import PolylensIngest
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// Ingest speed against the engine's bare prefill of the same token sequences, in one process, and
/// what the file costs per token and per document.
struct BenchIngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Measure ingest against the bare engine prefill of the same documents, and the bytes stored.",
        discussion: """
        Runs the bare prefill (no taps, no logits) over exactly the forward passes ingest will make, then the
        full ingest into a fresh file, then the bare prefill again; the overhead compares ingest with the
        mean of the two bare runs. Ingest also reads, hashes and tokenizes the corpus: the time that takes
        alone is measured first and reported, with the overhead without it (statistics, summaries, the logit
        lens and storage). Wall-clock time suffers when other processes share the cores; the process's CPU
        time (all threads) much less so: compare CPU figures with --threads 1 on a busy machine. Nothing is held
        out (--held-out 0 unless given), so both do the same work. The file is closed (WAL folded in) before
        its size is taken. `--model shape:NAME` (stories15M, stories110M, codellama-7b) times random f32 weights
        of that shape with the --tokenizer given; `--layers N` keeps N of its layers, since the costs per layer
        (bare_cpu_microseconds_per_layer_token, lens_cpu_microseconds_per_row) do not depend on the count.
        """)

    @OptionGroup var arguments: IngestArguments

    @Option(help: "Where to write the ingested file (default: a temporary file, removed afterwards).")
    var output: String?

    @Option(help: "Output: text or json.")
    var format: Format = .text

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Flag(help: "Also ingest without activation histograms and contexts (issue 12), alternating, and report their cost.")
    var compareNeuronActivity = false

    @Option(parsing: .unconditional, help: "With --compare-neuron-activity: ingests of each kind, alternating; the fastest of each is compared.")
    var repeats = 1

    @Option(parsing: .unconditional, help: "With --model shape:NAME: layers instead of the shape's own (codellama-7b has 32, too many for a small machine); the cost per layer, of prefill and of the lens alike, does not depend on the count.")
    var layers: Int?

    func validate() throws {
        try OptionCheck.atLeast(1, repeats, "--repeats")
        if let layers { try OptionCheck.atLeast(1, layers, "--layers") }
        if layers != nil && !arguments.model.hasPrefix("shape:") { throw ValidationError("--layers needs --model shape:NAME") }
    }

    func run() throws {
        let options = try arguments.options(lensStates: false, defaultHeldOut: 0)
        let (weights, tokenizer, tokenizerURL) = try loadModel()
        let ingestor = try Ingestor(weights: weights, modelPath: arguments.model, tokenizer: tokenizer,
                                    tokenizerURL: tokenizerURL, options: options)
        let preparing = Timing.start()
        let passes = try ingestor.plannedForwardPasses()
        let prepare = preparing.stop()
        let tokens = passes.reduce(0) { $0 + $1.count }
        guard tokens > 0 else { throw ValidationError("the corpus gives no tokens to run") }

        let transformer = try Transformer(weights, threads: arguments.threads)
        func bare() throws -> Timing {
            let t = Timing.start()
            for p in passes { _ = try transformer.forward(p, startPosition: 0, taps: nil, logits: .none) }
            return t.stop()
        }
        let bareBefore = try bare()

        let path = output ?? NSTemporaryDirectory() + "polylens-bench-\(UUID().uuidString).polylens"
        if FileManager.default.fileExists(atPath: path) { throw ValidationError("\(path) exists; bench ingest writes a fresh file") }
        defer {
            if output == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        }
        let file = try PolylensFile.create(URL(fileURLWithPath: path))
        let timing = Timing.start()
        let report = try ingestor.run(into: file, threads: arguments.threads)
        try file.close()
        let ingest = timing.stop()
        let bareAfter = try bare()
        let stored = try PolylensFile.open(URL(fileURLWithPath: path))
        let info = try stored.info()
        let lensRows = try stored.lensResults(run: report.run).reduce(0) { $0 + $1.columns.rows }
        let activity = compareNeuronActivity ? try neuronActivityCost(options: options, weights: weights, tokenizer: tokenizer,
                                                                          tokenizerURL: tokenizerURL, first: ingest) : []

        let bareWall = (bareBefore.wall + bareAfter.wall) / 2, bareCPU = (bareBefore.cpu + bareAfter.cpu) / 2
        let documents = report.documentsCommitted
        let result: [(String, Any)] = [
            ("documents", documents), ("prompts", report.promptsCommitted), ("forward_passes", passes.count),
            ("tokens", tokens), ("tokens_computed_by_ingest", report.tokensComputed),
            ("bare_seconds_before", rounded(bareBefore.wall)), ("bare_seconds_after", rounded(bareAfter.wall)),
            ("ingest_seconds", rounded(ingest.wall)),
            ("bare_tokens_per_second", rounded(Double(tokens) / bareWall, 1)),
            ("ingest_tokens_per_second", rounded(Double(report.tokensComputed) / ingest.wall, 1)),
            ("overhead_percent", rounded((ingest.wall / bareWall - 1) * 100, 1)),
            ("read_and_tokenize_seconds", rounded(prepare.wall)),
            ("overhead_excluding_tokenization_percent", rounded(((ingest.wall - prepare.wall) / bareWall - 1) * 100, 1)),
            ("bare_cpu_seconds", rounded(bareCPU)), ("ingest_cpu_seconds", rounded(ingest.cpu)),
            ("read_and_tokenize_cpu_seconds", rounded(prepare.cpu)),
            ("cpu_overhead_excluding_tokenization_percent", rounded(((ingest.cpu - prepare.cpu) / bareCPU - 1) * 100, 1)),
            ("lens_cpu_seconds", rounded(report.lensCPUSeconds)),
            // Per layer: what one layer's prefill costs a token, and what decoding one layer's state at one
            // position costs the lens; their ratio is the lens's overhead whatever the layer count.
            ("layers", weights.config.nLayers), ("lens_rows", lensRows),
            ("bare_cpu_microseconds_per_layer_token", rounded(bareCPU / Double(tokens * weights.config.nLayers) * 1e6, 2)),
            ("lens_cpu_microseconds_per_row", rounded(lensRows == 0 ? 0 : report.lensCPUSeconds / Double(lensRows) * 1e6, 2)),
            ("cpu_overhead_excluding_tokenization_and_lens_percent",
             rounded(((ingest.cpu - prepare.cpu - report.lensCPUSeconds) / bareCPU - 1) * 100, 1)),
            ("file_bytes", info.fileBytes),
            ("bytes_per_token", rounded(Double(info.fileBytes) / Double(tokens), 1)),
            ("bytes_per_document", rounded(Double(info.fileBytes) / Double(max(1, documents + report.promptsCommitted)), 1)),
            ("blob_raw_bytes", info.blobRawBytes), ("blob_stored_bytes", info.blobStoredBytes),
            ("lz4_ratio", rounded(info.compressionRatio, 3)),
        ] + activity
        switch format {
        case .text:
            print(result.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))
        case .json:
            let data = try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: result), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// The shapes `--model shape:NAME` accepts: `bench engine`'s, and CodeLlama-7B's (give it `--layers`).
    static var shapes: [String: LlamaConfig] {
        EngineBenchmark.shapes.merging(["codellama-7b": EngineBenchmark.codeLlama7BShape()]) { own, _ in own }
    }

    /// The model, or with `--model shape:NAME` random f32 weights of one of `shapes` (with `--layers` layers) and
    /// the tokenizer given, so ingest can be timed at a size the shared models lack.
    private func loadModel() throws -> (ModelWeights, Tokenizer, URL) {
        guard arguments.model.hasPrefix("shape:") else { return try arguments.load() }
        let name = String(arguments.model.dropFirst(6))
        guard var config = Self.shapes[name] else {
            throw ValidationError("--model shape:NAME: unknown shape '\(name)' (known: \(Self.shapes.keys.sorted().joined(separator: ", ")))")
        }
        if let layers { config.nLayers = layers }
        guard let path = arguments.tokenizer else { throw ValidationError("--model shape:\(name) needs --tokenizer FILE") }
        let url = URL(fileURLWithPath: path)
        let tokenizer = try TokenizerLoader.load(url)
        return (RandomWeights(config, dtype: .f32, seed: 1), tokenizer, url)
    }

    /// Ingests into fresh files with and without histograms and contexts, alternating `repeats` times (the first
    /// ingest above counts as one with them), and compares the fastest CPU time of each: the cost of issue 12.
    private func neuronActivityCost(options: IngestOptions, weights: ModelWeights, tokenizer: Tokenizer, tokenizerURL: URL,
                                    first: Timing) throws -> [(String, Any)] {
        var without = options
        without.activationHistograms = false
        without.contexts = nil
        func ingest(_ o: IngestOptions) throws -> Timing {
            let path = NSTemporaryDirectory() + "polylens-bench-\(UUID().uuidString).polylens"
            defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            let ingestor = try Ingestor(weights: weights, modelPath: arguments.model, tokenizer: tokenizer, tokenizerURL: tokenizerURL, options: o)
            let file = try PolylensFile.create(URL(fileURLWithPath: path))
            let t = Timing.start()
            _ = try ingestor.run(into: file, threads: arguments.threads)
            try file.close()
            return t.stop()
        }
        var with = [first], plain: [Timing] = []
        for r in 0..<max(1, repeats) {
            plain.append(try ingest(without))
            if r + 1 < repeats { with.append(try ingest(options)) }
        }
        let a = with.min { $0.cpu < $1.cpu }!, b = plain.min { $0.cpu < $1.cpu }!
        return [("ingest_with_neuron_activity_cpu_seconds", rounded(a.cpu)), ("ingest_without_neuron_activity_cpu_seconds", rounded(b.cpu)),
                ("ingest_with_neuron_activity_seconds", rounded(a.wall)), ("ingest_without_neuron_activity_seconds", rounded(b.wall)),
                ("neuron_activity_cpu_overhead_percent", rounded((a.cpu / b.cpu - 1) * 100, 1)),
                ("neuron_activity_overhead_percent", rounded((a.wall / b.wall - 1) * 100, 1))]
    }

    private func rounded(_ x: Double, _ digits: Int = 3) -> Double {
        let scale = pow(10, Double(digits))
        return (x * scale).rounded() / scale
    }

    /// Wall-clock and process CPU seconds of one stretch of work.
    private struct Timing {
        var wall: Double, cpu: Double

        static func start() -> Timing { Timing(wall: Date().timeIntervalSinceReferenceDate, cpu: processCPU()) }
        func stop() -> Timing {
            Timing(wall: Date().timeIntervalSinceReferenceDate - wall, cpu: Self.processCPU() - cpu)
        }

        static func processCPU() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
    }
}
