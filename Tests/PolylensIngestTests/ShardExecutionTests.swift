import Foundation
import GRDB
import XCTest
import PolylensModel
import PolylensStore
@testable import PolylensIngest

/// Issue 13: a plan of 4 shards, each executed, then combined, equals one ingest of the same options (polycode
/// on real C, C++ and Python files, the paper's snippets and prompts); every refusal of `combine` says one
/// line and writes nothing; a result already there is not recomputed.
final class ShardExecutionTests: XCTestCase {
    struct Fixture {
        var plan: URL
        var results: URL
        var single: URL
        var combined: URL
    }

    /// Planned, executed, combined and ingested once for all tests of the class.
    static let fixture: Result<Fixture, Error> = Result {
        var options = try IngestorTests.smallCorpus()
        options.maxTokensPerLanguage = 2000
        options.heldOut = 0.3
        options.storage.heldOutTokens = 600
        let (ingestor, _, _) = try IngestorTests.makeIngestor(options)
        let dir = URL(fileURLWithPath: try temporaryDirectory())
        let plan = dir.appendingPathComponent("plan"), results = dir.appendingPathComponent("results")
        try FileManager.default.createDirectory(at: results, withIntermediateDirectories: false)
        let summary = try ingestor.writeShardPlans(to: plan, count: 4)
        for shard in 0..<4 {
            _ = try ShardExecution.execute(plan: ShardExecution.planFile(in: plan, shard: shard, of: 4), expected: (shard, 4),
                                           into: results, threads: 2)
        }
        let combined = dir.appendingPathComponent("combined.polylens")
        let c = try ShardCombiner.combine(planDirectory: plan, resultDirectory: results, output: combined)
        guard c.planSHA256 == summary.planSHA256 else { throw IngestError("combined another plan") }
        let single = dir.appendingPathComponent("single.polylens")
        let file = try PolylensFile.create(single)
        _ = try ingestor.run(into: file, threads: 2)
        try file.close()
        return Fixture(plan: plan, results: results, single: single, combined: combined)
    }

    func testFourShardsCombinedEqualOneIngest() throws {
        let f = try Self.fixture.get()
        let one = try PolylensFile.open(f.single), combined = try PolylensFile.open(f.combined)
        XCTAssertTrue(try combined.verify().isSound)
        let run = try XCTUnwrap(one.runs().first?.id), crun = try XCTUnwrap(combined.runs().first?.id)
        XCTAssertEqual(try combined.runs().count, 1)
        XCTAssertEqual(try one.runs()[0].info.modelSHA256, try combined.runs()[0].info.modelSHA256)

        // The shards are balanced by tokens and all are used; held-out documents and prompts are in the plan.
        let rows = try (0..<4).map { try XCTUnwrap(PolylensFile.open(ShardExecution.planFile(in: f.plan, shard: $0, of: 4)).shardPlan()) }
        XCTAssertTrue(rows.allSatisfy { $0.tokens > 0 })

        // Same documents with the same ids, in the same order; same lens prompts with the same ids.
        XCTAssertEqual(try combined.documentsByID(run: crun), try one.documentsByID(run: run))
        XCTAssertEqual(try combined.documentsInOrder(run: crun), try one.documentsInOrder(run: run))
        XCTAssertGreaterThan(try one.documentsInOrder(run: run).filter(\.heldOut).count, 0)
        let prompts = try one.lensPrompts(run: run), cprompts = try combined.lensPrompts(run: crun)
        XCTAssertEqual(prompts.count, 12)
        XCTAssertEqual(cprompts.map { "\($0.source)→\($0.target) \($0.itemKey) \($0.tokens)" }, prompts.map { "\($0.source)→\($0.target) \($0.itemKey) \($0.tokens)" })
        XCTAssertEqual(cprompts.map(\.states), prompts.map(\.states))

        // Counts bit-equal, float64 sums within 1e-12 relative (batches are cut at other places), maxima equal.
        let stats = try one.neuronStats(run: run), cstats = try combined.neuronStats(run: crun)
        XCTAssertEqual(stats.count, cstats.count)
        XCTAssertFalse(stats.isEmpty)
        for (a, b) in zip(stats, cstats) {
            XCTAssertEqual([a.language, "\(a.layer)", "\(a.tokens)"], [b.language, "\(b.layer)", "\(b.tokens)"])
            XCTAssertEqual(a.active, b.active)
            XCTAssertEqual(a.max, b.max)
            assertClose(a.sum, b.sum, "\(a.language) \(a.layer) sum")
            assertClose(a.sumSquares, b.sumSquares, "\(a.language) \(a.layer) sumsq")
        }
        let states = try one.languageStates(run: run), cstates = try combined.languageStates(run: crun)
        XCTAssertEqual(states.count, cstates.count)
        for (a, b) in zip(states, cstates) {
            XCTAssertEqual([a.language, "\(a.layer)", "\(a.tokens)"], [b.language, "\(b.layer)", "\(b.tokens)"])
            assertClose(a.sum, b.sum, "\(a.language) \(a.layer) state sum")
            assertClose(a.sumSquares, b.sumSquares, "\(a.language) \(a.layer) state sumsq")
        }
        // Per-document rows are computed alone: identical.
        for pooling in Pooling.allCases {
            let s = try one.summaries(run: run, pooling: pooling), c = try combined.summaries(run: crun, pooling: pooling)
            XCTAssertEqual(c.map(\.document), s.map(\.document))
            XCTAssertEqual(c.map(\.summary.values), s.map(\.summary.values))
        }
        XCTAssertEqual(try combined.lensResults(run: crun).map(\.columns), try one.lensResults(run: run).map(\.columns))
        XCTAssertEqual(try combined.activationHistograms(run: crun), try one.activationHistograms(run: run))
        let layers = try XCTUnwrap(stats.map(\.layer).max()) + 1
        var contexts = 0
        for scope in [NeuronContextTable.allLanguages] + Set(stats.map(\.language)).sorted() {
            for layer in 0..<layers {
                let a = try one.neuronContexts(run: run, scope: scope, layer: layer)
                XCTAssertEqual(try combined.neuronContexts(run: crun, scope: scope, layer: layer), a, "\(scope) layer \(layer)")
                if a != nil { contexts += 1 }
            }
        }
        XCTAssertGreaterThan(contexts, 0)
        XCTAssertEqual(try combined.unembedding(run: crun)?.matrix, try one.unembedding(run: run)?.matrix)

        // Provenance: one shard_results row per shard; no plan rows.
        let records = try combined.shardResults()
        XCTAssertEqual(records.map(\.shard), [0, 1, 2, 3])
        XCTAssertEqual(Set(records.map(\.engine)), ["polylens-swift"])
        XCTAssertEqual(records.map(\.tokens), rows.map(\.tokens))
        XCTAssertNil(try combined.shardPlan())
        XCTAssertTrue(try combined.plannedDocuments().isEmpty)
        XCTAssertTrue(try combined.plannedPrompts().isEmpty)
    }

    func testAResultAlreadyPresentIsNotRecomputed() throws {
        let f = try Self.fixture.get()
        let result = f.results.appendingPathComponent(ShardPlan.resultFileName(shard: 2, of: 4))
        let before = try Data(contentsOf: result)
        let outcome = try ShardExecution.execute(plan: ShardExecution.planFile(in: f.plan, shard: 2, of: 4), expected: (2, 4), into: f.results)
        XCTAssertTrue(outcome.alreadyComplete)
        XCTAssertNil(outcome.report)
        XCTAssertEqual(try Data(contentsOf: result), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: f.results.path).count, 4)
    }

    /// Each refusal of the spec: one line naming the file and the problem, no output file, no partial file.
    func testCombineRefusesEachBadInputWithOneLineAndWritesNothing() throws {
        let f = try Self.fixture.get()
        let fm = FileManager.default
        // Another plan: the same corpus cut into 4 shards with another --max-doc-tokens.
        var other = try IngestorTests.smallCorpus()
        other.maxTokensPerLanguage = 2000
        other.maxDocTokens = 128
        let (ingestor, _, _) = try IngestorTests.makeIngestor(other)
        let otherPlan = URL(fileURLWithPath: try temporaryDirectory()).appendingPathComponent("other-plan")
        _ = try ingestor.writeShardPlans(to: otherPlan, count: 4)
        let otherResults = URL(fileURLWithPath: try temporaryDirectory())
        _ = try ShardExecution.execute(plan: ShardExecution.planFile(in: otherPlan, shard: 0, of: 4), into: otherResults, threads: 2)

        func result(_ dir: URL, _ shard: Int) -> URL { dir.appendingPathComponent(ShardPlan.resultFileName(shard: shard, of: 4)) }
        func sql(_ url: URL, _ statement: String) throws {
            let q = try DatabaseQueue(path: url.path)
            try q.write { try $0.execute(sql: statement) }
            try q.close()
        }
        let cases: [(String, String, (URL, URL) throws -> Void)] = [
            ("another plan's shard", "a result of another plan", { _, results in
                try fm.removeItem(at: result(results, 0))
                try fm.copyItem(at: result(otherResults, 0), to: result(results, 0))
            }),
            ("duplicated shard", "holds shard 1 of 4, not 2 of 4", { _, results in
                try fm.removeItem(at: result(results, 2))
                try fm.copyItem(at: result(results, 1), to: result(results, 2))
            }),
            ("missing shard", "result-00003-of-00004.polylens: missing", { _, results in try fm.removeItem(at: result(results, 3)) }),
            ("truncated result", "result-00001-of-00004.polylens", { _, results in
                let h = try FileHandle(forUpdating: result(results, 1))
                try h.truncate(atOffset: try h.seekToEnd() / 2)
                try h.close()
            }),
            ("another model", "its run differs from the plan's (model sha256", { _, results in
                try sql(result(results, 1), "UPDATE runs SET model_sha256 = 'b7e1'")
            }),
            ("other parameters", "its run differs from the plan's (parameters", { _, results in
                try sql(result(results, 1), "UPDATE runs SET parameters_json = replace(parameters_json, '\"lens_top\":10', '\"lens_top\":5')")
            }),
            ("edited plan", "plan-00002-of-00004.polylens: edited after planning", { plan, _ in
                try sql(plan.appendingPathComponent(ShardPlan.planFileName(shard: 2, of: 4)), "UPDATE planned_documents SET held_out = 1 - held_out")
            }),
            ("documents not the planned ones", "differs from planned document", { _, results in
                try sql(result(results, 0), "UPDATE documents SET sha256 = 'ff' || substr(sha256, 3) WHERE id = (SELECT max(id) FROM documents)")
            }),
            ("mixed engines", "give --allow-mixed-engines", { _, results in
                try sql(result(results, 3), "UPDATE shard_results SET engine = 'polylens-torch', dtype = 'bfloat16'")
            }),
            ("unfinished result", "holds 0 shard_results rows", { _, results in
                try sql(result(results, 3), "DELETE FROM shard_results")
            }),
        ]
        for (name, expected, tamper) in cases {
            let dir = URL(fileURLWithPath: try temporaryDirectory())
            let plan = dir.appendingPathComponent("plan"), results = dir.appendingPathComponent("results")
            try fm.copyItem(at: f.plan, to: plan)
            try fm.copyItem(at: f.results, to: results)
            try tamper(plan, results)
            let out = dir.appendingPathComponent("combined.polylens")
            XCTAssertThrowsError(try ShardCombiner.combine(planDirectory: plan, resultDirectory: results, output: out), name) { error in
                let message = "\(error)"
                XCTAssertTrue(message.contains(expected), "\(name): \(message)")
                XCTAssertFalse(message.contains("\n"), "\(name): \(message)")
            }
            XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir.path).sorted(), ["plan", "results"], name)
        }
        // Mixed engines combine when allowed, and say which shard came from where.
        let dir = URL(fileURLWithPath: try temporaryDirectory())
        try fm.copyItem(at: f.plan, to: dir.appendingPathComponent("plan"))
        try fm.copyItem(at: f.results, to: dir.appendingPathComponent("results"))
        try sql(result(dir.appendingPathComponent("results"), 3), "UPDATE shard_results SET engine = 'polylens-torch', dtype = 'bfloat16'")
        let mixed = try ShardCombiner.combine(planDirectory: dir.appendingPathComponent("plan"), resultDirectory: dir.appendingPathComponent("results"),
                                              output: dir.appendingPathComponent("mixed.polylens"), allowMixedEngines: true)
        XCTAssertEqual(mixed.results.map(\.engine), ["polylens-swift", "polylens-swift", "polylens-swift", "polylens-torch"])
        XCTAssertEqual(try PolylensFile.open(dir.appendingPathComponent("mixed.polylens")).shardResults().map(\.dtype).last, "bfloat16")
        // An existing output is never overwritten.
        XCTAssertThrowsError(try ShardCombiner.combine(planDirectory: f.plan, resultDirectory: f.results, output: f.single)) {
            XCTAssertTrue("\($0)".contains("exists"), "\($0)")
        }
    }

    /// The executor refuses, before computing, a plan edited after planning and a model that is not the planned one.
    func testExecuteRefusesAnEditedPlanAndAnotherModel() throws {
        let f = try Self.fixture.get()
        let fm = FileManager.default
        let dir = URL(fileURLWithPath: try temporaryDirectory())
        let plan = dir.appendingPathComponent("plan.polylens"), results = dir.appendingPathComponent("results")
        try fm.createDirectory(at: results, withIntermediateDirectories: false)
        try fm.copyItem(at: ShardExecution.planFile(in: f.plan, shard: 1, of: 4), to: plan)
        XCTAssertThrowsError(try ShardExecution.execute(plan: plan, expected: (2, 4), into: results)) {
            XCTAssertTrue("\($0)".contains("holds shard 1/4, not 2/4"), "\($0)")
        }
        XCTAssertThrowsError(try ShardExecution.execute(plan: plan, into: results, modelPath: SharedFiles.url("models/llama2c/stories260K.bin").path)) {
            XCTAssertTrue("\($0)".contains("is not the model"), "\($0)")
        }
        let q = try DatabaseQueue(path: plan.path)
        try q.write { try $0.execute(sql: "UPDATE planned_documents SET bytes = bytes + 1") }
        try q.close()
        XCTAssertThrowsError(try ShardExecution.execute(plan: plan, into: results)) {
            XCTAssertTrue("\($0)".contains("edited after planning"), "\($0)")
        }
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: results.path), [])
    }

    private func assertClose(_ a: [Double], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) / max(abs($0), abs($1), 1e-300) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-12, what, file: file, line: line)
    }
}
