import Foundation
import XCTest
import PolylensAnalysis
import PolylensEngine
import PolylensIngest
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// Schema 2 end to end: MEXA from the stored q8_0 summaries against an f32 recomputation, and
/// `polylens estimate` against the files ingest really writes.
final class CompactStorageCommandTests: XCTestCase {
    static let polycode = SharedFiles.url("models/polycode").path
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    override func setUpWithError() throws { try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first") }

    /// The first `count` parallel items (sorted ids) of every language, copied to a temporary directory.
    func parallelItems(_ count: Int, languages: [String]? = nil) throws -> String {
        let dir = try temporaryDirectory("polylens-parallel-")
        let source = SharedFiles.url("data/paper/code_snippets").path
        for language in try languages ?? FileManager.default.contentsOfDirectory(atPath: source) {
            try FileManager.default.createDirectory(atPath: "\(dir)/\(language)", withIntermediateDirectories: true)
            for id in try FileManager.default.contentsOfDirectory(atPath: "\(source)/\(language)").sorted().prefix(count) {
                try FileManager.default.copyItem(atPath: "\(source)/\(language)/\(id)", toPath: "\(dir)/\(language)/\(id)")
            }
        }
        return dir
    }

    /// MEXA from the stored summaries (f16, the default) within 0.01 of MEXA from f32 summaries computed
    /// directly from the engine, for every pair and layer, over the paper's 100 items; q8_0 for comparison.
    func testMexaFromStoredSummariesMatchesF32() throws {
        let parallel = try parallelItems(100)
        let file = try temporaryDirectory("polylens-mexa-") + "/mexa.polylens"
        let r = try PolylensCLI.run(["ingest", file, "--model", Self.polycode, "--parallel", parallel])
        XCTAssertEqual(r.status, 0, r.err)

        let f = try PolylensFile.open(URL(fileURLWithPath: file))
        let run = try f.resolveRun(nil)
        let stored = try f.summaries(run: run, pooling: .weightedMean)
        XCTAssertEqual(stored.count, 100 * 8)

        let weights = try HuggingFaceCheckpoint(directory: URL(fileURLWithPath: Self.polycode))
        let tokenizer = try TokenizerLoader.load(URL(fileURLWithPath: Self.polycode + "/tokenizer.model"))
        let transformer = try Transformer(weights, threads: 2)
        let snippets = try ParallelSnippets(directory: parallel)
        var exact: [(document: DocumentInfo, summary: DocumentSummary)] = []
        for (d, _) in stored {
            let text = try XCTUnwrap(snippets.text(d.language, try XCTUnwrap(d.itemKey)), d.source)
            let tokens = Array(tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(d.tokens))
            let accumulator = SummaryAccumulator(blocks: weights.config.nLayers, dim: weights.config.dim)
            _ = try transformer.forward(tokens, startPosition: 0, taps: accumulator, logits: .none)
            exact.append((d, try XCTUnwrap(accumulator.summaries().first { $0.pooling == .weightedMean })))
        }
        let fromFile = try MEXA.run(try ParallelEmbeddings(stored))
        let fromF32 = try MEXA.run(try ParallelEmbeddings(exact))
        XCTAssertEqual(fromFile.languages, fromF32.languages)
        XCTAssertEqual(fromFile.languages.count, 8)
        func largestDifference(_ r: MEXAResult) -> Double {
            zip(r.scores.joined().joined(), fromF32.scores.joined().joined()).map { abs($0 - $1) }.max() ?? .nan
        }
        // The same summaries through q8_0, for comparison (`--summary-codec q8_0`).
        let q8Summaries = try exact.map { d, s -> (document: DocumentInfo, summary: DocumentSummary) in
            var t = s
            t.values = try BlobCodec.decode(BlobCodec.encode(s.values, as: .q8_0, shape: [s.layers, s.dim])).floats()
            return (d, t)
        }
        let half = largestDifference(fromFile), q8 = largestDifference(try MEXA.run(try ParallelEmbeddings(q8Summaries)))
        print("MEXA, 100 items × 8 languages × \(fromFile.layers.count) layers: largest difference to f32: f16 \(half), q8_0 \(q8)")
        XCTAssertLessThanOrEqual(half, 0.01, "largest MEXA difference between the stored (f16) and f32 summaries")
        // The summaries themselves: every layer's cosine to the f32 summary.
        for ((_, s), (_, e)) in zip(stored, exact) {
            for l in 0..<s.layers {
                let a = s.layer(l).map(Double.init), b = e.layer(l).map(Double.init)
                let dot: Double = zip(a, b).map(*).reduce(0, +)
                let na: Double = a.map { $0 * $0 }.reduce(0, +), nb: Double = b.map { $0 * $0 }.reduce(0, +)
                let cos = dot / (na * nb).squareRoot()
                XCTAssertGreaterThan(cos, 0.99999)
            }
        }
        // A pooling that was not stored is named, with what was.
        let last = try PolylensCLI.run(["mexa", file, "--pooling", "last"])
        XCTAssertNotEqual(last.status, 0)
        XCTAssertTrue(last.err.contains("no last-pooled summaries (stored: weighted"), last.err)
    }

    private func estimatedBytes(_ arguments: [String]) throws -> Double {
        let r = try PolylensCLI.run(["estimate"] + arguments + ["--gflops", "100", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], r.out)
        return try XCTUnwrap(json["total_bytes"] as? Double ?? (json["total_bytes"] as? Int).map(Double.init))
    }

    private func fileBytes(_ path: String) throws -> Double {
        Double(try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int))
    }

    /// Ingests with `arguments` and checks the estimate from the same arguments within 10% of the file.
    private func checkEstimate(_ arguments: [String], _ what: String) throws {
        let file = try temporaryDirectory("polylens-estimate-") + "/f.polylens"
        let r = try PolylensCLI.run(["ingest", file] + arguments)
        XCTAssertEqual(r.status, 0, r.err)
        let real = try fileBytes(file)
        let estimate = try estimatedBytes(arguments)
        XCTAssertEqual(estimate / real, 1, accuracy: 0.1, "\(what): estimated \(estimate) bytes, the file has \(real)")
        print("estimate \(what): \(Int(estimate)) bytes for a file of \(Int(real)) (\(String(format: "%+.1f", (estimate / real - 1) * 100))%)")
    }

    func testEstimateWithinTenPercentOnPolycode() throws {
        try checkEstimate(["--model", Self.polycode, "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/[a-f]*.py",
                           "--parallel", try parallelItems(30), "--prompts", SharedFiles.url("data/paper/prompts").path,
                           "--lens-items", "2", "--lens-languages", "C,Python,Java", "--max-tokens-per-language", "20000",
                           "--held-out-tokens", "3000"], "polycode")
        // Today's layout (every pooling of every document, f16, the whole fraction held out) as well.
        try checkEstimate(["--model", Self.polycode, "--lang", "C=/usr/include/*.h", "--parallel", try parallelItems(10),
                           "--max-tokens-per-language", "15000", "--poolings", "weighted,mean,last", "--corpus-summaries",
                           "--summary-codec", "f16", "--held-out-tokens", "all"], "polycode, version-1 layout")
    }

    func testEstimateWithinTenPercentOnStories260K() throws {
        try checkEstimate(["--model", SharedFiles.url("models/llama2c/stories260K.bin").path,
                           "--tokenizer", SharedFiles.url("models/llama2c/tok512.bin").path,
                           "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/[a-f]*.py",
                           "--parallel", try parallelItems(30, languages: ["C", "Java", "Python"]),
                           "--max-doc-tokens", "256", "--max-tokens-per-language", "40000", "--corpus-summaries"], "stories260K")
    }

    /// A synthetic 4096-wide model (random f16 weights, one layer, the 512-token llama2.c vocabulary).
    func testEstimateWithinTenPercentOnA4096WideModel() throws {
        let config = LlamaConfig(dim: 4096, hiddenDim: 1024, nLayers: 1, nHeads: 32, nKVHeads: 8, vocabSize: 512,
                                 maxPositions: 512, ropeStyle: .halves, tiedEmbeddings: true)
        let model = try temporaryDirectory("polylens-wide-") + "/model"
        try HuggingFaceWriter.write(RandomWeights(config, dtype: .f16), to: URL(fileURLWithPath: model), dtype: .f16)
        let arguments = ["--model", model, "--tokenizer", SharedFiles.url("models/llama2c/tok512.model").path,
                         "--lang", "C=/usr/include/[a-d]*.h", "--parallel", try parallelItems(20, languages: ["C", "Python"]),
                         "--max-doc-tokens", "128", "--max-tokens-per-language", "6000"]
        try checkEstimate(arguments, "4096-wide")
        // A bare config.json gives the same projection as the checkpoint.
        let bare = try temporaryDirectory("polylens-bare-") + "/config.json"
        try FileManager.default.copyItem(atPath: model + "/config.json", toPath: bare)
        var withConfig = arguments
        withConfig[1] = bare
        XCTAssertEqual(try estimatedBytes(withConfig), try estimatedBytes(arguments))
    }

    /// The paper's CodeLlama-7B study (12 languages × 50,000 files of ≈ 100M tokens each, 581 items in 8
    /// languages, 42 pairs × 100 lens prompts) fits in 2 GiB in the new layout; today's would be ≈ 540 GB.
    func testPaperStudyFitsInTwoGiB() throws {
        let counts = ["--languages", "12", "--documents-per-language", "50000", "--tokens-per-language", "100000000",
                      "--parallel-items", "581", "--parallel-languages", "8", "--lens-pairs", "42", "--lens-items", "100"]
        for model in ["codellama-7b", "llama-3.1-8b"] {
            let config = Self.fixtures.appendingPathComponent("\(model)/config.json").path
            // Issue 9's study (statistics, language states, f16 summaries of the parallel items, the lens results of
            // 4,200 prompts, held-out text): ≈ 1.97 GiB for CodeLlama-7B, f16 summaries 1.17 GiB of it; Llama-3.1-8B's
            // larger vocabulary and MLP add ≈ 0.1 GiB. Issue 12's neuron activity comes on top (--no-neuron-activity).
            let compact = try estimatedBytes(["--model", config, "--lens-states", "none", "--no-neuron-activity"] + counts)
            XCTAssertLessThanOrEqual(compact, (model == "codellama-7b" ? 2.0 : 2.1) * 1024 * 1024 * 1024, "\(model): the new layout")
            let today = try estimatedBytes(["--model", config, "--poolings", "weighted,mean,last", "--corpus-summaries",
                                            "--summary-codec", "f16", "--held-out-tokens", "all", "--lens-states", "f16"] + counts)
            // The issue projected ≈ 540 GB counting summaries for every corpus document, held-out ones included.
            XCTAssertEqual(today / 540e9, 1, accuracy: 0.15, "\(model): today's layout as the issue projects it")
        }
        let r = try PolylensCLI.run(["estimate", "--model", Self.fixtures.appendingPathComponent("codellama-7b/config.json").path,
                                     "--lens-states", "none", "--gflops", "160"] + counts)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("summaries"), r.out)
        print(r.out)
    }

    func testEstimateBadInput() throws {
        let both = try PolylensCLI.run(["estimate", "--model", Self.polycode, "--lang", "C=/usr/include/*.h", "--languages", "3"])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.err.contains("not both"), both.err)
        let missing = try PolylensCLI.run(["estimate", "--model", "/nonexistent/config.json", "--languages", "3"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("/nonexistent/config.json"), missing.err)
        XCTAssertEqual(missing.err.split(separator: "\n").count, 1, missing.err)
    }
}
