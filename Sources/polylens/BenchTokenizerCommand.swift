import ArgumentParser
import Foundation
import PolylensModel
import PolylensTokenizer

/// `polylens bench tokenizer`: MB/s of source code per thread. The corpus rule (sorted *.py files of a directory
/// until a byte budget, each file encoded as one text) is also in tools/bench_tokenizer_reference.py, which
/// times sentencepiece and tiktoken on the same text for the same-run ratio.
struct BenchTokenizerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Encoding speed of tokenizers on source code, in MB/s per thread.")

    @Option(name: .customLong("tokenizer"), help: "Tokenizer file or model (repeatable; default: the Llama 2 SentencePiece model and the Llama 3 ranks in ../shared).")
    var tokenizers: [String] = []

    @Option(help: "Directory whose *.py files (sorted by path) make the corpus.")
    var corpus = "/usr/lib/python3.11"

    @Option(help: "Corpus size: files are taken until at least this many bytes.")
    var bytes = 1_700_000

    @Option(parsing: .unconditional, help: "Timed passes over the corpus, each with a freshly loaded tokenizer (loading is not timed); the fastest is reported.")
    var repeats = 5

    @Option(parsing: .unconditional, help: "Threads encoding the corpus at the same time (each its own copy of the work).")
    var threads = 1

    @Option(help: "table, csv or json.")
    var format: OutputFormat = .table

    struct Row: Encodable {
        let tokenizer: String
        let kind: String
        let files: Int
        let bytes: Int
        let tokens: Int
        let threads: Int
        let secondsPerPass: Double
        let mbPerSecondPerThread: Double
    }

    func validate() throws {
        guard repeats >= 1, threads >= 1, bytes >= 1 else { throw ValidationError("--repeats, --threads and --bytes must be positive") }
    }

    func run() throws {
        let texts = try Self.corpus(URL(fileURLWithPath: corpus), bytes: bytes)
        let total = texts.reduce(0) { $0 + $1.utf8.count }
        let paths = tokenizers.isEmpty
            ? ["models/llama2c/tokenizer.model", "models/llama3/tokenizer.model"].map { SharedFiles.url($0).path }
            : tokenizers
        var rows: [Row] = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            var tokens = 0
            var kind = ""
            var best = Double.infinity
            for _ in 0..<repeats {
                // A fresh tokenizer per pass: nothing cached from an earlier pass over the same text.
                let tok = try TokenizerLoader.load(url)
                kind = String(describing: type(of: tok))
                let start = DispatchTime.now().uptimeNanoseconds
                let counts = UnsafeMutablePointer<Int>.allocate(capacity: threads)
                defer { counts.deallocate() }
                DispatchQueue.concurrentPerform(iterations: threads) { t in
                    var n = 0
                    for text in texts { n += tok.encode(text, addBOS: false, parseSpecial: false).count }
                    counts[t] = n
                }
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                tokens = counts[0]
            }
            rows.append(Row(tokenizer: path, kind: kind, files: texts.count, bytes: total, tokens: tokens,
                            threads: threads, secondsPerPass: best, mbPerSecondPerThread: Double(total) / 1e6 / best))
        }
        switch format {
        case .json:
            try AnalysisOutput.writeJSON(rows, keys: .convertToSnakeCase)
        case .csv:
            print("tokenizer,kind,files,bytes,tokens,threads,seconds_per_pass,mb_per_s_per_thread")
            for r in rows {
                print(CSVField.line([r.tokenizer, r.kind] + [r.files, r.bytes, r.tokens, r.threads].map(String.init)
                                    + ["\(r.secondsPerPass)", "\(r.mbPerSecondPerThread)"]))
            }
        case .table:
            print("corpus: \(texts.count) files, \(total) bytes of *.py from \(corpus); \(threads) thread(s), best of \(repeats)")
            for r in rows {
                print(String(format: "%@ (%@): %.2f MB/s per thread, %d tokens, %.3f s per pass",
                             r.tokenizer, r.kind, r.mbPerSecondPerThread, r.tokens, r.secondsPerPass))
            }
        }
    }

    /// The *.py files under `dir`, sorted by relative path (UTF-8 byte order), until `bytes` is reached;
    /// files that are not UTF-8 are skipped.
    static func corpus(_ dir: URL, bytes: Int) throws -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: dir.path) else {
            throw CLIError("\(dir.path): cannot list the corpus directory")
        }
        let files = walker.compactMap { $0 as? String }.filter { $0.hasSuffix(".py") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var out: [String] = []
        var total = 0
        for f in files where total < bytes {
            guard let data = FileManager.default.contents(atPath: dir.appendingPathComponent(f).path),
                  let s = String(data: data, encoding: .utf8) else { continue }
            out.append(s)
            total += data.count
        }
        guard total >= bytes else { throw CLIError("\(dir.path): only \(total) bytes of *.py, \(bytes) asked") }
        return out
    }
}
