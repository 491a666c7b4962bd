import ArgumentParser
import Foundation
import PolylensEngine
import PolylensIngest
import PolylensStore

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
        alone is measured first and reported, with the overhead without it (statistics, summaries, lens
        states and storage). Nothing is held out (--held-out 0 unless given), so both do the same work.
        """)

    @OptionGroup var arguments: IngestArguments

    @Option(help: "Where to write the ingested file (default: a temporary file, removed afterwards).")
    var output: String?

    @Option(help: "Output: text or json.")
    var format: Format = .text

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    func run() throws {
        let options = try arguments.options(embedUnembedding: false, defaultHeldOut: 0)
        let (weights, tokenizer, tokenizerURL) = try arguments.load()
        let ingestor = try Ingestor(weights: weights, modelPath: arguments.model, tokenizer: tokenizer,
                                    tokenizerURL: tokenizerURL, options: options)
        let prepareStart = Date()
        let passes = try ingestor.plannedForwardPasses()
        let prepareSeconds = Date().timeIntervalSince(prepareStart)
        let tokens = passes.reduce(0) { $0 + $1.count }
        guard tokens > 0 else { throw ValidationError("the corpus gives no tokens to run") }

        let transformer = try Transformer(weights, threads: arguments.threads)
        func bare() throws -> Double {
            let start = Date()
            for p in passes { _ = try transformer.forward(p, startPosition: 0, taps: nil, logits: .none) }
            return Date().timeIntervalSince(start)
        }
        let bareBefore = try bare()

        let path = output ?? NSTemporaryDirectory() + "polylens-bench-\(UUID().uuidString).polylens"
        if FileManager.default.fileExists(atPath: path) { throw ValidationError("\(path) exists; bench ingest writes a fresh file") }
        defer {
            if output == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
        }
        let file = try PolylensFile.create(URL(fileURLWithPath: path))
        let report = try ingestor.run(into: file, threads: arguments.threads)
        let bareAfter = try bare()
        let info = try file.info()

        let bareSeconds = (bareBefore + bareAfter) / 2
        let documents = report.documentsCommitted
        let result: [(String, Any)] = [
            ("documents", documents), ("prompts", report.promptsCommitted), ("forward_passes", passes.count),
            ("tokens", tokens), ("tokens_computed_by_ingest", report.tokensComputed),
            ("bare_seconds_before", rounded(bareBefore)), ("bare_seconds_after", rounded(bareAfter)),
            ("ingest_seconds", rounded(report.seconds)),
            ("bare_tokens_per_second", rounded(Double(tokens) / bareSeconds, 1)),
            ("ingest_tokens_per_second", rounded(Double(report.tokensComputed) / report.seconds, 1)),
            ("overhead_percent", rounded((report.seconds / bareSeconds - 1) * 100, 1)),
            ("read_and_tokenize_seconds", rounded(prepareSeconds)),
            ("overhead_excluding_tokenization_percent", rounded(((report.seconds - prepareSeconds) / bareSeconds - 1) * 100, 1)),
            ("file_bytes", info.fileBytes),
            ("bytes_per_token", rounded(Double(info.fileBytes) / Double(tokens), 1)),
            ("bytes_per_document", rounded(Double(info.fileBytes) / Double(max(1, documents + report.promptsCommitted)), 1)),
            ("blob_raw_bytes", info.blobRawBytes), ("blob_stored_bytes", info.blobStoredBytes),
            ("lz4_ratio", rounded(info.compressionRatio, 3)),
        ]
        switch format {
        case .text:
            print(result.map { "\($0.0): \($0.1)" }.joined(separator: "\n"))
        case .json:
            let data = try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: result), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    private func rounded(_ x: Double, _ digits: Int = 3) -> Double {
        let scale = pow(10, Double(digits))
        return (x * scale).rounded() / scale
    }
}
