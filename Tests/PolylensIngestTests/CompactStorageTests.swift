import Foundation
import XCTest
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer
@testable import PolylensIngest

/// Schema 2's defaults on polycode: per-language hidden-state sums against the engine, summaries only for
/// parallel items in the poolings asked for, a held-out budget in content-hash order.
final class CompactStorageTests: XCTestCase {
    func testLanguageStatesSummariesAndHeldOutBudget() throws {
        var options = try IngestorTests.smallCorpus()
        options.storage = StorageOptions()     // the defaults: weighted, no corpus summaries, 50,000 tokens
        options.storage.summaryCodec = .q8_0
        options.storage.heldOutTokens = 700
        options.heldOut = 0.5
        let (ingestor, weights, tokenizer) = try IngestorTests.makeIngestor(options)
        let file = try PolylensFile.create(URL(fileURLWithPath: try temporaryDirectory() + "/compact.polylens"))
        let report = try ingestor.run(into: file, threads: 2)
        let run = report.run
        let documents = try file.documents(run: run)
        let config = weights.config

        // Summaries: parallel items only, weighted only, q8_0.
        XCTAssertEqual(try file.storedPoolings(run: run), [.weightedMean])
        let summaries = try file.summaries(run: run, pooling: .weightedMean)
        XCTAssertEqual(summaries.count, documents.filter { $0.itemKey != nil }.count)
        XCTAssertTrue(summaries.allSatisfy { $0.document.itemKey != nil })
        let q8Bytes = ((config.nLayers + 1) * config.dim + 31) / 32 * 34
        XCTAssertEqual(try file.info().tables.first { $0.table == "summaries" }?.rawBytes, summaries.count * q8Bytes)

        // Held out: at most 700 tokens per language, the lowest content hashes among the fraction's documents.
        for language in ["C", "C++", "Python"] {
            let corpus = documents.filter { $0.language == language && $0.itemKey == nil }
            let held = corpus.filter(\.heldOut)
            XCTAssertFalse(held.isEmpty, language)
            XCTAssertLessThanOrEqual(held.map(\.tokens).reduce(0, +), 700, language)
            let bits = { (d: DocumentInfo) in UInt64(d.sha256.prefix(16), radix: 16)! }
            let candidates = corpus.filter { !$0.heldOut && Ingestor.isHeldOut(sha256: $0.sha256, fraction: 0.5) }
            if let highest = held.map(bits).max(), let lowest = candidates.map(bits).min() {
                XCTAssertLessThan(highest, lowest, "\(language): a lower hash was passed over")
            }
            for d in held {
                let text = try String(contentsOfFile: d.source, encoding: .utf8)
                XCTAssertEqual(d.tokenIds, tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(d.tokens).map { Int32($0) })
            }
        }

        // Language states of Python: Σh and Σh² over its counted documents, recomputed from the engine's taps.
        let states = try file.languageStates(run: run).filter { $0.language == "Python" }
        XCTAssertEqual(states.map(\.layer), Array(0...config.nLayers))
        let stats = try file.neuronStats(run: run).filter { $0.language == "Python" }
        XCTAssertTrue(states.allSatisfy { $0.tokens == stats[0].tokens })
        let transformer = try Transformer(weights, threads: 2)
        let taps: [TapPoint] = [.embed] + (0..<(config.nLayers - 1)).map { .residPost($0) } + [.finalNorm]
        var sum = [[Double]](repeating: [Double](repeating: 0, count: config.dim), count: taps.count), sumsq = sum
        let snippets = try ParallelSnippets(directory: options.corpus.compactMap { if case .parallel(let d) = $0 { d } else { nil } }[0])
        for d in documents where d.language == "Python" && !d.heldOut {
            let text = try d.itemKey.map { try XCTUnwrap(snippets.text("Python", $0)) } ?? String(contentsOfFile: d.source, encoding: .utf8)
            let tokens = Array(tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(d.tokens))
            let capture = Capture(Set(taps))
            _ = try transformer.forward(tokens, startPosition: 0, taps: capture, logits: .none)
            for (row, tap) in taps.enumerated() {
                let h = capture.rows[tap]!
                for t in 0..<tokens.count {
                    for i in 0..<config.dim {
                        let x = Double(h[t * config.dim + i])
                        sum[row][i] += x; sumsq[row][i] += x * x
                    }
                }
            }
        }
        for (row, s) in states.enumerated() {
            for i in 0..<config.dim {
                XCTAssertEqual(s.sum[i], sum[row][i], accuracy: 1e-9 * max(1, abs(sum[row][i])))
                XCTAssertEqual(s.sumSquares[i], sumsq[row][i], accuracy: 1e-9 * max(1, sumsq[row][i]))
            }
        }

        // Resuming computes nothing and leaves the sums as they are.
        let again = try ingestor.run(into: file, threads: 2)
        XCTAssertEqual(again.tokensComputed, 0)
        XCTAssertEqual(try file.languageStates(run: run).filter { $0.language == "Python" }, states)
        XCTAssertTrue(try file.verify().isSound)
    }

    func testStorageOptionsAreRecordedAndChecked() throws {
        var options = IngestOptions(corpus: [])
        XCTAssertTrue(options.parametersJSON.contains("\"summaries\":[\"weighted\"]"), options.parametersJSON)
        XCTAssertTrue(options.parametersJSON.contains("\"summary_codec\":\"f16\""))
        XCTAssertTrue(options.parametersJSON.contains("\"held_out_tokens\":50000"))
        options.storage.poolings = []
        XCTAssertThrowsError(try options.validate()) { XCTAssertTrue("\($0)".contains("--poolings")) }
        options.storage.poolings = [.last, .last]
        XCTAssertThrowsError(try options.validate())
        options.storage.poolings = [.last]
        options.storage.summaryCodec = .i32
        XCTAssertThrowsError(try options.validate()) { XCTAssertTrue("\($0)".contains("--summary-codec")) }
    }
}
