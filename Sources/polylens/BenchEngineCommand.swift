import ArgumentParser
import Foundation
import PolylensEngine
import PolylensModel

/// `polylens bench engine`: prefill and generation speed on synthetic checkpoints against raw SGEMM, and with
/// `--memory` the peak RSS of an 8B-shaped BF16 checkpoint against its file size.
struct BenchEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Prefill/generation tokens/s on random stories15M/stories110M-shaped weights vs same-run SGEMM; --memory: peak RSS of a Llama-3.1-8B-shaped BF16 checkpoint.")

    enum Format: String, ExpressibleByArgument { case text, json }

    @Option(help: "Comma-separated shapes: stories15M, stories110M.")
    var shapes = "stories15M,stories110M"
    @Option(help: "Comma-separated thread counts.")
    var threads = "1,2"
    @Option(parsing: .unconditional, help: "Tokens per prefill (one sequence, no logits).")
    var tokens = 512
    @Option(parsing: .unconditional, help: "Tokens generated one at a time from BOS.")
    var generate = 128
    @Option(parsing: .unconditional, help: "Timed runs per figure (the best is reported, after one warm-up).")
    var repeats = 5
    @Flag(help: "Instead: write a Llama-3.1-8B-shaped BF16 Hugging Face checkpoint with --layers layers, prefill --tokens tokens with last-position logits in a child process, and report its peak RSS.")
    var memory = false
    @Option(parsing: .unconditional, help: "Layers of the --memory checkpoint.")
    var layers = 2
    @Option(help: "Directory for the --memory checkpoint (removed afterwards; default: a temporary directory).")
    var directory: String?
    @Option(help: ArgumentHelp("Internal: the child process of --memory.", visibility: .hidden))
    var memoryProbe: String?
    @Option(help: "text (a markdown table) or json.")
    var format = Format.text

    func validate() throws {
        try OptionCheck.atLeast(1, tokens, "--tokens")
        try OptionCheck.atLeast(0, generate, "--generate")
        try OptionCheck.atLeast(1, repeats, "--repeats")
        try OptionCheck.atLeast(1, layers, "--layers")
    }

    func run() throws {
        let threadCounts = try threads.split(separator: ",").map { s -> Int in
            guard let n = Int(s.trimmingCharacters(in: .whitespaces)), n >= 1 else {
                throw ValidationError("--threads: '\(s)' is not a positive thread count")
            }
            return n
        }
        if let dir = memoryProbe { return try probe(URL(fileURLWithPath: dir), threads: threadCounts.last!) }
        if memory { return try measureMemory(threads: threadCounts.last!) }

        var results: [EngineBenchmark.Result] = []
        for name in shapes.split(separator: ",").map(String.init) {
            guard let config = EngineBenchmark.shapes[name] else {
                throw ValidationError("--shapes: unknown shape '\(name)' (known: \(EngineBenchmark.shapes.keys.sorted().joined(separator: ", ")))")
            }
            guard tokens >= 1, tokens + generate <= config.maxPositions else {
                throw ValidationError("--tokens and --generate must fit in \(config.maxPositions) positions")
            }
            let weights = RandomWeights(config, dtype: .f32, seed: 1)
            for t in threadCounts {
                if isatty(2) != 0 { FileHandle.standardError.write("bench engine: \(name), \(t) thread(s)…\n".data(using: .utf8)!) }
                results.append(try EngineBenchmark.run(shape: name, config: config, weights: weights, threads: t,
                                                       tokens: tokens, generate: generate, repeats: repeats))
            }
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        case .text:
            print("| shape | threads | prefill \(tokens) tok/s | prefill GFLOP/s | SGEMM GFLOP/s (M=\(tokens)) | ratio | generation tok/s |")
            print("|---|---:|---:|---:|---:|---:|---:|")
            for r in results {
                print("| \(r.shape) | \(r.threads) | \(fixed(r.prefillTokensPerSecond, 0)) | \(fixed(r.prefillGFLOPS, 1)) | \(fixed(r.sgemmGFLOPS, 1)) | \(fixed(100 * r.ratio, 0))% | \(fixed(r.generationTokensPerSecond, 1)) |")
            }
        }
    }

    /// Writes the checkpoint, runs the prefill in a child (so the writer's memory is not counted) and reports.
    private func measureMemory(threads: Int) throws {
        let dir = directory.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("polylens-bench-8b-\(getpid())")
        guard !FileManager.default.fileExists(atPath: dir.path) else {
            throw ValidationError("--directory \(dir.path) already exists; name a new one")
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = EngineBenchmark.llama8BShape(layers: layers)
        do {
            let weights = RandomWeights(config, dtype: .bf16, seed: 1)
            try HuggingFaceWriter.write(weights, to: dir, dtype: .bf16)
        }
        let fileBytes = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: [.fileSizeKey])
            .reduce(0) { $0 + (try $1.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0) }

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["bench", "engine", "--memory-probe", dir.path, "--tokens", "\(tokens)", "--threads", "\(threads)"]
        let pipe = Pipe()
        child.standardOutput = pipe
        try child.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0,
              let probe = try? JSONDecoder().decode(MemoryProbe.self, from: output) else {
            throw ValidationError("the prefill child process failed (status \(child.terminationStatus))")
        }
        let gib = Double(1 << 30)
        let limit = Double(fileBytes) + 3 * gib
        let row = MemoryReport(layers: layers, tokens: tokens, threads: threads, fileBytes: fileBytes,
                               peakRSSBytes: probe.peakRSSBytes, seconds: probe.seconds,
                               withinLimit: Double(probe.peakRSSBytes) <= limit)
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(row), as: UTF8.self))
        case .text:
            print("| checkpoint | file size | peak RSS | RSS − file | limit (file + 3 GiB) | prefill |")
            print("|---|---:|---:|---:|---:|---:|")
            print("| Llama-3.1-8B shape, \(layers) layers, BF16 HF | \(fixed(Double(fileBytes) / gib, 2)) GiB | \(fixed(Double(probe.peakRSSBytes) / gib, 2)) GiB | \(fixed(Double(probe.peakRSSBytes - fileBytes) / gib, 2)) GiB | \(row.withinLimit ? "met" : "EXCEEDED") | \(tokens) tokens in \(fixed(probe.seconds, 1)) s (\(threads) threads) |")
        }
        if !row.withinLimit { throw ExitCode(1) }
    }

    /// The child: load, prefill, report ru_maxrss.
    private func probe(_ dir: URL, threads: Int) throws {
        let weights = try HuggingFaceCheckpoint(directory: dir)
        let model = try Transformer(weights, threads: threads)
        var rng = SplitMix64(seed: 5)
        let ids = (0..<tokens).map { _ in Int(rng.next() % UInt64(weights.config.vocabSize)) }
        let start = Date()
        _ = try model.forward(ids, logits: .last)
        let seconds = Date().timeIntervalSince(start)
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let result = MemoryProbe(peakRSSBytes: Int(usage.ru_maxrss) * 1024, seconds: seconds)
        print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
    }

    private struct MemoryProbe: Codable { var peakRSSBytes: Int; var seconds: Double }

    private struct MemoryReport: Codable {
        var layers, tokens, threads, fileBytes, peakRSSBytes: Int
        var seconds: Double
        var withinLimit: Bool
        enum CodingKeys: String, CodingKey {
            case layers, tokens, threads, seconds
            case fileBytes = "file_bytes", peakRSSBytes = "peak_rss_bytes", withinLimit = "within_limit"
        }
    }
}

private func fixed(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
