import Crypto
import Foundation
import PolylensStore
import XCTest

/// Files built through the store API from real local documents (C headers, the Python standard library) and
/// activations simulated per token: pre-activations drawn around a per-(language, layer, neuron) bias, passed
/// through SiLU, accumulated exactly as ingest does. Deterministic for a given seed.
enum StoreFixture {
    static let layers = 3
    static let neurons = 40
    static let dim = 16
    /// Simulated tokens per document are capped to keep debug-build tests quick; `tokens` records the same count.
    static let maxTokens = 300

    static let corpora: [(language: String, directory: String, suffix: String)] = [
        ("C", "/usr/include", ".h"),
        ("Python", "/usr/lib/python3.11", ".py"),
    ]

    static func runInfo(modelSHA: String = String(repeating: "ab", count: 32), parameters: String = "{\"max_doc_tokens\":4096}") -> RunInfo {
        RunInfo(modelPath: "/models/polycode", modelFormat: "hf", modelSHA256: modelSHA,
                tokenizerPath: "/models/polycode/tokenizer.model", tokenizerSHA256: String(repeating: "cd", count: 32),
                architectureJSON: "{\"dim\":\(dim),\"hidden_dim\":\(neurons),\"n_layers\":\(layers)}",
                parametersJSON: parameters, polylensVersion: "0.1.0")
    }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    /// Sorted real files of a corpus with duplicate contents skipped (as ingest deduplicates), `count` from `offset`.
    static func documents(_ corpus: (language: String, directory: String, suffix: String), offset: Int, count: Int,
                          heldOut: Bool = false) throws -> [DocumentInfo] {
        let names = try FileManager.default.contentsOfDirectory(atPath: corpus.directory)
            .filter { $0.hasSuffix(corpus.suffix) }.sorted()
        var seen: Set<String> = []
        var result: [DocumentInfo] = []
        for name in names where result.count < count {
            let path = corpus.directory + "/" + name
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let sha = sha256(data)
            guard seen.insert(sha).inserted else { continue }
            guard seen.count > offset else { continue }
            let tokens = max(2, min(maxTokens, data.count / 4))
            let ids = heldOut ? (0..<tokens).map { Int32(truncatingIfNeeded: Int(data[$0 % data.count]) + $0 % 7) } : nil
            result.append(DocumentInfo(language: corpus.language, source: path, itemKey: nil, sha256: sha, bytes: data.count,
                                       tokens: tokens, heldOut: heldOut, tokenIds: ids))
        }
        return result
    }

    /// A batch for `documents`: their statistics deltas (held-out ones contribute none) and summaries.
    static func batch(_ documents: [DocumentInfo], lensPrompts: [LensPrompt] = []) -> IngestBatch {
        var stats: [String: [NeuronStats]] = [:]
        var summaries: [(documentIndex: Int, summary: DocumentSummary)] = []
        var states: [String: [LanguageState]] = [:]
        for (index, d) in documents.enumerated() {
            var rng = SplitMix64(seed: UInt64(d.sha256.prefix(16), radix: 16) ?? 1)
            if !d.heldOut {
                // Hidden states around a per-language direction, summed as LanguageStateAccumulator does.
                var perLayer = states[d.language] ?? (0...layers).map {
                    LanguageState(language: d.language, layer: $0, tokens: 0, sum: Array(repeating: 0, count: dim),
                                  sumSquares: Array(repeating: 0, count: dim))
                }
                for l in 0...layers {
                    perLayer[l].tokens += Int64(d.tokens)
                    for _ in 0..<d.tokens {
                        for i in 0..<dim {
                            let h = rng.gaussian() + bias(d.language, l, i) * Double(l + 1)
                            perLayer[l].sum[i] += h
                            perLayer[l].sumSquares[i] += h * h
                        }
                    }
                }
                states[d.language] = perLayer
            }
            if !d.heldOut {
                var perLayer = stats[d.language] ?? (0..<layers).map { NeuronStats(language: d.language, layer: $0, neurons: neurons) }
                for l in 0..<layers {
                    perLayer[l].tokens += Int64(d.tokens)
                    for _ in 0..<d.tokens {
                        for i in 0..<neurons {
                            let x = bias(d.language, l, i) + rng.gaussian()
                            let a = x / (1 + exp(-x))
                            if a > 0 { perLayer[l].active[i] += 1 }
                            perLayer[l].sum[i] += a
                            perLayer[l].sumSquares[i] += a * a
                            perLayer[l].max[i] = max(perLayer[l].max[i], Float(a))
                        }
                    }
                }
                stats[d.language] = perLayer
            }
            for pooling in Pooling.allCases {
                let values = (0..<((layers + 1) * dim)).map { _ in Float(rng.gaussian() + bias(d.language, 0, 0)) }
                summaries.append((index, DocumentSummary(pooling: pooling, layers: layers + 1, dim: dim, values: values)))
            }
        }
        var batch = IngestBatch(documents: documents, stats: stats.keys.sorted().flatMap { stats[$0]! },
                                summaries: summaries, lensPrompts: lensPrompts)
        batch.languageStates = states.keys.sorted().flatMap { states[$0]! }
        return batch
    }

    /// A lens prompt of `tokens` tokens whose last `positions + 1` belong to the target.
    static func lensPrompt(source: String, target: String, item: String, tokens: Int = 30, positions: Int = 8,
                           seed: UInt64 = 7) -> LensPrompt {
        var rng = SplitMix64(seed: item.utf8.reduce(seed) { $0 &* 31 &+ UInt64($1) })
        let ids = [Int32(1)] + (1..<tokens).map { _ in Int32(rng.next() % 5000) }
        let states = (0..<((layers + 1) * positions * dim)).map { _ in Float(rng.gaussian()) }
        return LensPrompt(source: source, target: target, itemKey: item, tokens: ids, firstPosition: tokens - 1 - positions,
                          layers: layers + 1, dim: dim, states: states)
    }

    /// Language-dependent bias: some neurons lean to C, some to Python, so selectivity queries have an answer.
    static func bias(_ language: String, _ layer: Int, _ neuron: Int) -> Double {
        let lean = language == "C" ? 1.0 : -1.0
        switch neuron % 4 {
        case 0: return 1.5 * lean
        case 1: return -1.5 * lean
        case 2: return 1.0
        default: return -0.5 + 0.1 * Double(layer)
        }
    }

    /// A fresh directory under the temporary directory, removed by the test's teardown.
    static func directory(_ test: XCTestCase) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("polylens-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        test.addTeardownBlock {
            _ = try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir.path)
            try? FileManager.default.removeItem(at: dir)
        }
        return dir
    }

    /// The checkout (for tools/ and Queries/) and the built `polylens` beside the test bundle.
    static var repository: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir
    }

    static func polylensBinary() throws -> URL {
        var dir = Bundle(for: BundleToken.self).bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("polylens")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        throw XCTSkip("the polylens executable is not built beside the tests (run swift build --build-tests)")
    }

    /// Runs a process to completion and returns its exit status, stdout and stderr.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A file with one run: 6 C headers and 6 Python modules counted, 2 of each held out, parallel items and
    /// lens prompts, in three commits.
    static func makeFile(at url: URL, modelSHA: String = String(repeating: "ab", count: 32), offset: Int = 0) throws -> (PolylensFile, Int64) {
        let file = try PolylensFile.create(url)
        let run = try file.beginRun(runInfo(modelSHA: modelSHA))
        let c = try documents(corpora[0], offset: offset, count: 6)
        let py = try documents(corpora[1], offset: offset, count: 6)
        try file.commit(run: run, batch: batch(Array(c.prefix(3)) + Array(py.prefix(3))))
        try file.commit(run: run, batch: batch(Array(c.dropFirst(3)) + Array(py.dropFirst(3)),
                                               lensPrompts: [lensPrompt(source: "C", target: "Python", item: "10\(offset)-1"),
                                                             lensPrompt(source: "Python", target: "C", item: "10\(offset)-1")]))
        let held = try documents(corpora[0], offset: offset + 6, count: 2, heldOut: true)
            + documents(corpora[1], offset: offset + 6, count: 2, heldOut: true)
        try file.commit(run: run, batch: batch(held + parallelItems(offset: offset)))
        return (file, run)
    }

    /// The same two snippets as C and Python documents of one item each (identical texts included).
    static func parallelItems(offset: Int) -> [DocumentInfo] {
        ["int x = 1;", "x = 1", "return 0;"].enumerated().flatMap { k, text -> [DocumentInfo] in
            let sha = sha256(Data(text.utf8))
            return ["C", "Python"].map { lang in
                DocumentInfo(language: lang, source: "parallel:\(lang)/\(offset)-\(k)", itemKey: "\(offset)-\(k)", sha256: sha,
                             bytes: text.utf8.count, tokens: 4, heldOut: false, tokenIds: nil)
            }
        }
    }
}

private final class BundleToken {}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func gaussian() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
