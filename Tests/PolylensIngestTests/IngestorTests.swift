import Foundation
import XCTest
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer
@testable import PolylensIngest

/// End to end with the shared polycode model on real local code and the paper's snippets.
final class IngestorTests: XCTestCase {
    static let model = SharedFiles.url("models/polycode")
    static let tokenizerURL = SharedFiles.url("models/polycode/tokenizer.model")

    /// A small corpus: a few files of C, C++ and Python, and the first 6 parallel items (copied to a
    /// temporary directory so the test stays small).
    static func smallCorpus() throws -> IngestOptions {
        let parallel = try temporaryDirectory() + "/snippets"
        let source = SharedFiles.url("data/paper/code_snippets").path
        for language in try FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.createDirectory(atPath: parallel + "/" + language, withIntermediateDirectories: true)
            for id in try FileManager.default.contentsOfDirectory(atPath: source + "/" + language).sorted().prefix(6) {
                try FileManager.default.copyItem(atPath: "\(source)/\(language)/\(id)", toPath: "\(parallel)/\(language)/\(id)")
            }
        }
        var o = IngestOptions(corpus: [try .files("C=/usr/include/std*.h"), try .files("C++=/usr/include/c++/12/[a-c]*"),
                                       try .files("Python=/usr/lib/python3.11/[a-c]*.py"), .parallel(parallel)])
        o.promptsDirectory = SharedFiles.url("data/paper/prompts").path
        o.lensItems = 2
        o.lensLanguages = ["C", "Python", "Java"]
        o.maxDocTokens = 256
        o.maxTokensPerLanguage = 4000
        o.heldOut = 0.2
        o.batchDocuments = 16
        o.lensStates = true
        o.storage.summaryCodec = .f16  // compared with the engine at f16 precision below; q8_0: CompactStorageTests
        return o
    }

    static func makeIngestor(_ options: IngestOptions) throws -> (Ingestor, HuggingFaceCheckpoint, Tokenizer) {
        let weights = try HuggingFaceCheckpoint(directory: Self.model)
        let tokenizer = try TokenizerLoader.load(Self.tokenizerURL)
        let ingestor = try Ingestor(weights: weights, modelPath: Self.model.path, tokenizer: tokenizer,
                                    tokenizerURL: Self.tokenizerURL, options: options)
        return (ingestor, weights, tokenizer)
    }

    func testStoredStatisticsSummariesAndLensStatesMatchTheEngine() throws {
        let options = try Self.smallCorpus()
        let (ingestor, weights, tokenizer) = try Self.makeIngestor(options)
        let path = try temporaryDirectory() + "/small.polylens"
        let file = try PolylensFile.create(URL(fileURLWithPath: path))
        let report = try ingestor.run(into: file, threads: 2)
        XCTAssertGreaterThan(report.documentsCommitted, 40)
        XCTAssertGreaterThan(report.heldOut, 0)
        XCTAssertEqual(report.promptsCommitted, 3 * 2 * 2)
        XCTAssertEqual(report.documentsResumed, 0)

        let run = report.run
        let documents = try file.documents(run: run)

        // The same ingest again finds everything committed and computes nothing.
        let again = try ingestor.run(into: file, threads: 2)
        XCTAssertEqual(again.run, run)
        XCTAssertEqual(again.documentsCommitted + again.promptsCommitted + again.tokensComputed, 0)
        XCTAssertEqual(again.documentsResumed, report.documentsCommitted)
        XCTAssertEqual(again.promptsResumed, report.promptsCommitted)
        XCTAssertEqual(try file.documents(run: run).count, documents.count)

        // Final norm (f32) and unembedding (f16) for the lens.
        let unembedding = try XCTUnwrap(file.unembedding(run: run))
        XCTAssertEqual(unembedding.finalNorm, try weights.tensor(.finalNorm).floats())
        let output = try weights.tensor(.output).floats()
        XCTAssertEqual(unembedding.matrix.count, output.count)
        for (stored, exact) in zip(unembedding.matrix, output) { XCTAssertEqual(stored, exact, accuracy: 1e-3 * max(1, abs(exact))) }
        XCTAssertEqual(documents.count, report.documentsCommitted)
        let config = weights.config
        let transformer = try Transformer(weights, threads: 2)

        // Neuron statistics of C, recomputed from the engine over C's counted documents.
        let stats = try file.neuronStats(run: run).filter { $0.language == "C" }.sorted { $0.layer < $1.layer }
        XCTAssertEqual(stats.count, config.nLayers)
        var direct = (0..<config.nLayers).map { NeuronStats(language: "C", layer: $0, neurons: config.hiddenDim) }
        let counted = documents.filter { $0.language == "C" && !$0.heldOut }
        XCTAssertFalse(counted.isEmpty)
        for d in counted {
            let text = d.itemKey == nil ? try String(contentsOfFile: d.source, encoding: .utf8)
                                         : try XCTUnwrap(ParallelSnippets(directory: parallelDirectory(options)).text("C", d.itemKey!))
            let tokens = Array(tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(d.tokens))
            XCTAssertEqual(tokens.count, d.tokens)
            let capture = Capture(Set((0..<config.nLayers).map { TapPoint.mlpAct($0) }))
            _ = try transformer.forward(tokens, startPosition: 0, taps: capture, logits: .none)
            for l in 0..<config.nLayers {
                let a = capture.rows[.mlpAct(l)]!
                direct[l].tokens += Int64(tokens.count)
                for t in 0..<tokens.count {
                    for i in 0..<config.hiddenDim {
                        let v = a[t * config.hiddenDim + i]
                        if v > 0 { direct[l].active[i] += 1 }
                        direct[l].sum[i] += Double(v); direct[l].sumSquares[i] += Double(v) * Double(v)
                        direct[l].max[i] = max(direct[l].max[i], v)
                    }
                }
            }
        }
        for l in 0..<config.nLayers {
            XCTAssertEqual(stats[l].tokens, direct[l].tokens)
            XCTAssertEqual(stats[l].active, direct[l].active)
            XCTAssertEqual(stats[l].max, direct[l].max)
            for i in 0..<config.hiddenDim {
                XCTAssertEqual(stats[l].sum[i], direct[l].sum[i], accuracy: 1e-9 * max(1, abs(direct[l].sum[i])))
                XCTAssertEqual(stats[l].sumSquares[i], direct[l].sumSquares[i], accuracy: 1e-9 * max(1, direct[l].sumSquares[i]))
            }
        }
        XCTAssertEqual(stats[0].tokens, Int64(counted.reduce(0) { $0 + $1.tokens }))

        // Held-out documents keep their token ids (for ablation) and add nothing to the statistics.
        let heldOut = documents.filter(\.heldOut)
        XCTAssertEqual(heldOut.count, report.heldOut)
        for d in heldOut {
            XCTAssertNil(d.itemKey)
            let text = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: d.source)), as: UTF8.self)
            let expected = tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(d.tokens).map { Int32($0) }
            XCTAssertEqual(d.tokenIds, expected)
        }

        // The weighted-mean summary of one parallel snippet, against the engine's taps (f16 in the file).
        let summaries = try file.summaries(run: run, pooling: .weightedMean)
        let (doc, summary) = try XCTUnwrap(summaries.first { $0.document.language == "Python" && $0.document.itemKey != nil })
        let snippet = try XCTUnwrap(ParallelSnippets(directory: parallelDirectory(options)).text("Python", doc.itemKey!))
        let tokens = tokenizer.encode(snippet, addBOS: true, parseSpecial: false)
        let rowsTaps: [TapPoint] = [.embed] + (0..<(config.nLayers - 1)).map { .residPost($0) } + [.finalNorm]
        let capture = Capture(Set(rowsTaps))
        _ = try transformer.forward(tokens, startPosition: 0, taps: capture, logits: .none)
        XCTAssertEqual(summary.layers, config.nLayers + 1)
        let weightSum = Double(tokens.count * (tokens.count + 1) / 2)
        for (row, tap) in rowsTaps.enumerated() {
            let h = capture.rows[tap]!
            for i in 0..<config.dim {
                var e = 0.0
                for t in 0..<tokens.count { e += Double(t + 1) * Double(h[t * config.dim + i]) }
                e /= weightSum
                XCTAssertEqual(Double(summary.layer(row)[row * config.dim + i]), e, accuracy: 2e-3 * max(1, abs(e)))
            }
        }

        // Lens states of one prompt, against the engine (f16 in the file).
        let prompts = try file.lensPrompts(run: run, source: "Java", target: "Python")
        XCTAssertEqual(prompts.count, 2)
        let prompt = prompts[0]
        let lensCapture = Capture(Set([.embed] + (0..<config.nLayers).map { TapPoint.residPost($0) }))
        _ = try transformer.forward(prompt.tokens.map { Int($0) }, startPosition: 0, taps: lensCapture, logits: .none)
        for layer in [0, config.nLayers] {
            let h = lensCapture.rows[layer == 0 ? .embed : .residPost(layer - 1)]!
            for p in 0..<prompt.positions {
                for i in 0..<config.dim {
                    let expected = h[(prompt.firstPosition + p) * config.dim + i]
                    let stored = prompt.states[(layer * prompt.positions + p) * config.dim + i]
                    XCTAssertEqual(stored, expected, accuracy: 2e-3 * max(1, abs(expected)))
                }
            }
        }
    }

    /// The position that predicts the first target token, on real SentencePiece tokens.
    func testLensFirstPositionOnRealTokens() throws {
        let tokenizer = try TokenizerLoader.load(Self.tokenizerURL)
        let parallel = try ParallelSnippets(directory: SharedFiles.url("data/paper/code_snippets").path)
        let prompts = try FewShotExamples(directory: SharedFiles.url("data/paper/prompts").path)
            .prompts(snippets: parallel, languages: LanguageName.parallel, items: 20)
        var loneSpace = 0
        for prompt in prompts {
            let (tokens, first) = try prompt.tokenize(tokenizer)
            XCTAssertEqual(tokens.first, 1)
            let head = tokenizer.encode(prompt.prefix, addBOS: false, parseSpecial: false)
            // Position `first` has seen prefix text only; the token it predicts carries target text.
            let seen = tokenizer.decode(tokens[1...first].map { Int($0) })
            let withNext = tokenizer.decode(tokens[1...(first + 1)].map { Int($0) })
            XCTAssertTrue(prompt.prefix.hasPrefix(seen), "\(prompt.source)>\(prompt.target) \(prompt.itemKey): \(seen)")
            XCTAssertTrue(withNext.count > prompt.prefix.count && prompt.text.hasPrefix(withNext),
                          "\(prompt.source)>\(prompt.target) \(prompt.itemKey): \(withNext)")
            if first == head.count - 1 { loneSpace += 1 } else { XCTAssertEqual(first, head.count) }
        }
        // With SentencePiece the space of "{T}: " joins the snippet's first word almost always.
        XCTAssertGreaterThan(loneSpace, prompts.count * 9 / 10)
    }

    func testHeldOutSplitIsAFixedFractionByHash() {
        var held = 0
        for i in 0..<10_000 {
            if Ingestor.isHeldOut(sha256: CorpusDocument.sha256("document \(i)"), fraction: 0.1) { held += 1 }
        }
        XCTAssertEqual(Double(held) / 10_000, 0.1, accuracy: 0.01)
        XCTAssertFalse(Ingestor.isHeldOut(sha256: CorpusDocument.sha256("x"), fraction: 0))
    }

    func testBadDestinations() throws {
        let (ingestor, _, _) = try Self.makeIngestor(Self.smallCorpus())
        let dir = try temporaryDirectory()
        let notPolylens = dir + "/notes.txt"
        try "just text\n".write(toFile: notPolylens, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ingestor.run(into: try PolylensFile.create(URL(fileURLWithPath: notPolylens))))
        XCTAssertEqual(try String(contentsOfFile: notPolylens, encoding: .utf8), "just text\n")
    }

    private func parallelDirectory(_ options: IngestOptions) -> String {
        for spec in options.corpus { if case .parallel(let d) = spec { return d } }
        return ""
    }
}

/// Keeps every row of the taps it is given, for recomputing what ingest stored.
final class Capture: TapConsumer {
    let taps: Set<TapPoint>
    var rows: [TapPoint: [Float]] = [:]
    init(_ taps: Set<TapPoint>) { self.taps = taps }
    func receive(_ tap: TapPoint, values: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int) {
        var r = self.rows[tap] ?? []
        XCTAssertEqual(r.count, firstPosition * width)
        r.append(contentsOf: values)
        self.rows[tap] = r
    }
}
