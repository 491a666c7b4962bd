import Foundation
import XCTest
import PolylensModel
import PolylensStore
import PolylensTokenizer
@testable import PolylensIngest

/// A file that grows, with polycode on real code of this machine: C headers, Python's standard library, Perl modules.
final class RunGrowthTests: XCTestCase {
    private let c = "C=/usr/include/std*.h", python = "Python=/usr/lib/python3.11/[a-c]*.py", perl = "Perl=/usr/share/perl/5.36.0/[A-C]*.pm"

    private func options(_ specs: [String], budget: Int?) throws -> IngestOptions {
        var o = IngestOptions(corpus: try specs.map(CorpusSpec.files))
        o.maxDocTokens = 256
        o.maxTokensPerLanguage = budget
        o.heldOut = 0.2
        o.batchDocuments = 16
        return o
    }

    private func ingestor(_ o: IngestOptions) throws -> Ingestor {
        let tokenizer = try TokenizerLoader.load(IngestorTests.tokenizerURL)
        return try Ingestor(weights: try HuggingFaceCheckpoint(directory: IngestorTests.model), modelPath: IngestorTests.model.path,
                            tokenizer: tokenizer, tokenizerURL: IngestorTests.tokenizerURL, options: o)
    }

    private func newFile() throws -> PolylensFile {
        try PolylensFile.create(URL(fileURLWithPath: try temporaryDirectory() + "/grow.polylens"))
    }

    private func sortedStats(_ f: PolylensFile, _ run: Int64) throws -> [NeuronStats] {
        try f.neuronStats(run: run).sorted { ($0.language, $0.layer) < ($1.language, $1.layer) }
    }

    /// Adding a language continues run 1, computes only the new documents, and ends where one ingest of
    /// the whole corpus ends: same documents, held-out flags and token counts; same statistics (sums up
    /// to the float64 summation order, which the batch boundaries set).
    func testAddingALanguageContinuesTheRunAndEqualsOneIngest() throws {
        let grown = try newFile()
        let first = try ingestor(options([c, python], budget: 3000)).run(into: grown, threads: 1)
        XCTAssertGreaterThan(first.documentsCommitted, 5)
        let second = try ingestor(options([perl, c, python], budget: 3000)).run(into: grown, threads: 1)
        XCTAssertEqual(second.run, first.run)
        XCTAssertEqual(second.documentsResumed, first.documentsCommitted)
        XCTAssertEqual(try grown.runs().count, 1)
        let perlDocuments = try grown.documents(run: first.run, language: "Perl", heldOut: nil)
        XCTAssertEqual(second.documentsCommitted, perlDocuments.count)
        XCTAssertGreaterThan(perlDocuments.count, 1)
        XCTAssertEqual(second.tokensComputed, perlDocuments.filter { !$0.heldOut }.reduce(0) { $0 + $1.tokens })

        let whole = try newFile()
        let once = try ingestor(options([c, python, perl], budget: 3000)).run(into: whole, threads: 1)
        let a = try grown.documents(run: first.run).sorted { $0.source < $1.source }
        let b = try whole.documents(run: once.run).sorted { $0.source < $1.source }
        XCTAssertEqual(a.map(\.sha256), b.map(\.sha256))
        XCTAssertEqual(a.map(\.heldOut), b.map(\.heldOut))
        XCTAssertEqual(a.map(\.tokens), b.map(\.tokens))
        XCTAssertEqual(a.map(\.tokenIds), b.map(\.tokenIds))
        let sa = try sortedStats(grown, first.run), sb = try sortedStats(whole, once.run)
        XCTAssertEqual(sa.map(\.language), sb.map(\.language))
        for (x, y) in zip(sa, sb) {
            XCTAssertEqual(x.tokens, y.tokens)
            XCTAssertEqual(x.active, y.active)
            XCTAssertEqual(x.max, y.max)
            for i in 0..<x.neurons {
                XCTAssertEqual(x.sum[i], y.sum[i], accuracy: 1e-12 * max(1, abs(y.sum[i])))
                XCTAssertEqual(x.sumSquares[i], y.sumSquares[i], accuracy: 1e-12 * max(1, y.sumSquares[i]))
            }
        }
        let parameters = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try grown.runs()[0].info.parametersJSON.utf8)) as? [String: Any])
        XCTAssertEqual((parameters["history"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual((parameters["corpus"] as? [String])?.count, 3)
    }

    /// Raising the budget adds documents up to the new budget; no stored document is recomputed or moves
    /// between held out and counted (the split is by content hash).
    func testRaisingTheBudgetAddsOnlyNewDocuments() throws {
        let file = try newFile()
        let first = try ingestor(options([python], budget: 2000)).run(into: file, threads: 1)
        let before = try file.documents(run: first.run)
        XCTAssertGreaterThan(first.overBudget, 0)
        let second = try ingestor(options([python], budget: 6000)).run(into: file, threads: 1)
        XCTAssertEqual(second.run, first.run)
        XCTAssertEqual(second.documentsResumed, before.count)
        XCTAssertLessThan(second.overBudget, first.overBudget)
        let after = try file.documents(run: first.run)
        let added = after.filter { d in !before.contains { $0.sha256 == d.sha256 } }
        XCTAssertEqual(after.count, before.count + second.documentsCommitted)
        XCTAssertEqual(second.tokensComputed, added.filter { !$0.heldOut }.reduce(0) { $0 + $1.tokens })
        for d in before {
            let now = try XCTUnwrap(after.first { $0.sha256 == d.sha256 })
            XCTAssertEqual(now.heldOut, d.heldOut, d.source)
            XCTAssertEqual(now.tokens, d.tokens, d.source)
            XCTAssertEqual(d.heldOut, Ingestor.isHeldOut(sha256: d.sha256, fraction: 0.2))
        }
        let spent = try file.corpusTokensPerLanguage(run: first.run)["Python"] ?? 0
        XCTAssertLessThanOrEqual(spent, 6000)
        XCTAssertGreaterThan(spent, 6000 - 256)
        XCTAssertEqual(try file.neuronStats(run: first.run).first { $0.language == "Python" }?.tokens,
                       Int64(after.filter { !$0.heldOut }.reduce(0) { $0 + $1.tokens }))
    }

    /// A run as older Polylens versions stored it (flat parameters, no history) grows like any other.
    func testARunFromBeforeHistoriesGrows() throws {
        let file = try newFile()
        let old = try options([c], budget: 1500)
        let first = try ingestor(old).run(into: file, threads: 1)
        try file.updateRunParameters(run: first.run, parametersJSON: old.parametersJSON)
        let grown = try ingestor(options([perl], budget: 1500)).run(into: file, threads: 1)
        XCTAssertEqual(grown.run, first.run)
        XCTAssertGreaterThan(grown.documentsCommitted, 0)
        XCTAssertEqual(try file.runs().count, 1)
        let p = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try file.runs()[0].info.parametersJSON.utf8)) as? [String: Any])
        let history = try XCTUnwrap(p["history"] as? [[String: Any]])
        XCTAssertEqual(history.map { $0["corpus"] as? [String] }, [[try CorpusSpec.files(c).description], [try CorpusSpec.files(perl).description]])
        XCTAssertNil(history[0]["at"])
        XCTAssertEqual(try file.languages(run: first.run), ["C", "Perl"])
    }

    /// A change of truncation is refused before anything is computed or written; with --new-run it starts run 2.
    func testChangingTruncationNeedsANewRun() throws {
        let file = try newFile()
        let first = try ingestor(options([c], budget: 1500)).run(into: file, threads: 1)
        let documents = try file.documents(run: first.run).count
        var shorter = try options([c], budget: 1500)
        shorter.maxDocTokens = 128
        let other = try ingestor(shorter)
        XCTAssertThrowsError(try other.run(into: file, threads: 1)) {
            XCTAssertTrue("\($0)".contains("cannot continue run 1: max_doc_tokens 256 → 128; give --new-run to start run 2"), "\($0)")
        }
        XCTAssertEqual(try file.runs().count, 1)
        XCTAssertEqual(try file.documents(run: first.run).count, documents)
        let choice = try other.chooseRun(in: file, allowNewRun: true)
        XCTAssertEqual(choice.message, "starting run 2, not continuing run 1: max_doc_tokens 256 → 128")
        let second = try other.run(into: file, choice: choice, threads: 1)
        XCTAssertEqual(second.run, 2)
        XCTAssertEqual(second.documentsResumed, 0)
        XCTAssertTrue(try file.documents(run: 2).allSatisfy { $0.tokens <= 128 })
    }

    /// Stopped between documents: the pending batch is not committed, the report says so, and the same
    /// call again ends with the file an uninterrupted ingest writes.
    func testAnInterruptedIngestResumesToTheSameFile() throws {
        let o = try options([c, python], budget: 8000)
        let file = try newFile()
        var calls = 0
        let stopped = try ingestor(o).run(into: file, threads: 1, shouldStop: { calls += 1; return calls > 21 })
        XCTAssertTrue(stopped.interrupted)
        XCTAssertEqual(stopped.discarded, 5)  // 21 handled, batches of 16
        let held = try file.documents(run: stopped.run)
        XCTAssertEqual(held.count, 16)
        XCTAssertEqual(stopped.documentsCommitted, 16)
        let resumed = try ingestor(o).run(into: file, threads: 1)
        XCTAssertEqual(resumed.documentsResumed, 16)
        XCTAssertEqual(stopped.left, resumed.documentsCommitted + resumed.promptsCommitted)

        let whole = try newFile()
        let once = try ingestor(o).run(into: whole, threads: 1)
        XCTAssertEqual(try file.documents(run: 1).sorted { $0.source < $1.source }, try whole.documents(run: once.run).sorted { $0.source < $1.source })
        XCTAssertTrue(try sortedStats(file, 1) == sortedStats(whole, once.run))
    }

    /// Totals count only this call's work (not documents over budget or already held), and after a
    /// tenth of the tokens the ETA is within 2× of the time the rest actually takes.
    func testProgressTotalsAndETA() throws {
        let o = try options(["Python=/usr/lib/python3.11/*.py", "Perl=/usr/share/perl/5.36.0/**/*.pm"], budget: 15_000)
        let ing = try ingestor(o)
        let file = try newFile()
        var seen: [(IngestProgress, Date)] = []
        let report = try ing.run(into: file, threads: 1, progress: { seen.append(($0, Date())) })
        let end = Date()
        let last = try XCTUnwrap(seen.last?.0)
        XCTAssertEqual(last.itemsTotal, report.documentsCommitted)
        XCTAssertEqual(last.itemsDone, last.itemsTotal)
        XCTAssertEqual(last.tokens.total, report.tokensComputed)
        XCTAssertEqual(seen.count, report.documentsCommitted)
        XCTAssertGreaterThan(report.overBudget, 0, "the budget should leave files out, to check they are not in the total")
        let (tenth, at) = try XCTUnwrap(seen.first { $0.0.tokens.done * 10 >= $0.0.tokens.total })
        let eta = try XCTUnwrap(tenth.eta), actual = end.timeIntervalSince(at)
        XCTAssertLessThan(eta, 2 * actual, "ETA \(eta) s, took \(actual) s")
        XCTAssertGreaterThan(eta, actual / 2, "ETA \(eta) s, took \(actual) s")

        // The same call again has nothing to do: a total of zero, no progress.
        seen.removeAll()
        _ = try ing.run(into: file, threads: 1, progress: { seen.append(($0, Date())) })
        XCTAssertTrue(seen.isEmpty)
    }
}
