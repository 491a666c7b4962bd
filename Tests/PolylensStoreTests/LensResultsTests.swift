import Foundation
import GRDB
import PolylensEngine
import PolylensTokenizer
import XCTest
@testable import PolylensStore

/// Schema 3: token sets and the lens results stored at ingest, their checks, and version-1 files.
final class LensResultsTests: XCTestCase {
    private let sets = [TokenSet(name: "English", kind: TokenSet.english, source: "words", ids: [4, 7, 9]),
                        TokenSet(name: "C keywords", kind: TokenSet.keywords, language: "C", source: "C.json", ids: [2, 3])]

    private func runInfo(vocab: Int = 50) -> RunInfo {
        var info = StoreFixture.runInfo()
        info.architectureJSON = "{\"dim\":4,\"n_layers\":1,\"vocab_size\":\(vocab)}"
        return info
    }

    /// One C→Python prompt of 6 tokens from position 2 (3 positions) over 2 layers, top-2, and its result.
    private func prompt(topIds: [Int32]? = nil) -> (LensPrompt, LensPromptResult) {
        let tokens: [Int32] = [1, 5, 6, 7, 8, 9]
        let rows = 6
        let columns = LensColumns(rows: rows, topK: 2, sets: 2, topIds: topIds ?? (0..<12).map { Int32($0 * 3 % 50) },
                                  topProbabilities: (0..<12).map { 0.5 / Float(1 + $0 % 2) }, correctProbability: (0..<rows).map { Float($0) / 10 },
                                  correctRank: (0..<rows).map { Int32($0 + 1) }, entropy: (0..<rows).map { Float($0) * 0.3 },
                                  setMass: (0..<12).map { Float($0) / 100 })
        return (LensPrompt(source: "C", target: "Python", itemKey: "1010-2", tokens: tokens, firstPosition: 2, layers: 2, dim: 4, states: []),
                LensPromptResult(source: "C", target: "Python", itemKey: "1010-2", tokens: tokens, firstPosition: 2, layers: 2, columns: columns))
    }

    func testRoundTripWithoutStates() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("lens.polylens")
        let file = try PolylensFile.create(url)
        let run = try file.beginRun(runInfo())
        XCTAssertFalse(try file.hasLensResults(run: run))
        try file.storeTokenSets(run: run, sets)
        try file.storeTokenSets(run: run, sets)  // a resumed ingest brings the same sets
        XCTAssertThrowsError(try file.storeTokenSets(run: run, [sets[0]])) {
            XCTAssertTrue("\($0)".contains("already holds other token sets (English, C keywords)"), "\($0)")
        }
        let (p, r) = prompt()
        try file.commit(run: run, batch: IngestBatch(lensPrompts: [p], lensResults: [r]))
        try file.close()

        let read = try PolylensFile.open(url)
        XCTAssertEqual(try read.tokenSets(run: run), sets)
        XCTAssertTrue(try read.hasLensResults(run: run))
        let results = try read.lensResults(run: run)
        XCTAssertEqual(results.count, 1)
        XCTAssertEqual(results[0].columns, r.columns)
        XCTAssertEqual(results[0].next, [7, 8, 9])
        XCTAssertEqual(try read.lensResults(run: run, source: "Python").count, 0)
        XCTAssertEqual(try read.lensPrompts(run: run).map(\.states), [[]], "states are opt-in")
        let report = try read.verify()
        XCTAssertTrue(report.isSound, report.problems.joined(separator: "\n"))
        XCTAssertEqual(report.blobsChecked, 1 + 2 + 6)
        XCTAssertEqual(results[0].keepingTop(1).columns.topIds, stride(from: 0, to: 12, by: 2).map { r.columns.topIds[$0] })
    }

    /// Issue 9: a token set (or a top-k list) naming an id outside the vocabulary is an error naming table and row.
    func testIdsOutsideTheVocabularyNameTableAndRow() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("bad.polylens")
        let file = try PolylensFile.create(url)
        let run = try file.beginRun(runInfo(vocab: 8))
        try file.storeTokenSets(run: run, sets)
        let (p, r) = prompt(topIds: (0..<12).map { Int32($0) })
        try file.commit(run: run, batch: IngestBatch(lensPrompts: [p], lensResults: [r]))
        XCTAssertThrowsError(try file.tokenSets(run: run)) {
            XCTAssertEqual("\($0)", "\(url.path): token_sets row 1 (English): token id 9 is outside the vocabulary of 8")
        }
        let problems = try file.verify().problems
        XCTAssertEqual(problems, ["token_sets row 1 (English): token id 9 is outside the vocabulary of 8",
                                  "lens_results row 1 (prompt 1): top token id 8 is outside the vocabulary of 8"])
    }

    func testResultsWithoutTheirPromptOrWithBadShapesAreRefused() throws {
        let file = try PolylensFile.create(try StoreFixture.directory(self).appendingPathComponent("orphan.polylens"))
        let run = try file.beginRun(runInfo())
        let (_, r) = prompt()
        XCTAssertThrowsError(try file.commit(run: run, batch: IngestBatch(lensResults: [r]))) {
            XCTAssertTrue("\($0)".contains("lens result C→Python 1010-2 has no prompt in run 1"), "\($0)")
        }
        var short = r
        short.columns.entropy.removeLast()
        XCTAssertThrowsError(try file.commit(run: run, batch: IngestBatch(lensPrompts: [prompt().0], lensResults: [short])))
        XCTAssertEqual(try file.lensPromptKeys(run: run).count, 0, "nothing of a refused batch is written")
    }

    /// merge carries token sets and lens results; shards with other token sets are refused.
    func testMergeCarriesLensResults() throws {
        let dir = try StoreFixture.directory(self)
        func shard(_ name: String, item: String, sets: [TokenSet]) throws -> URL {
            let url = dir.appendingPathComponent(name)
            let file = try PolylensFile.create(url)
            let run = try file.beginRun(runInfo())
            try file.storeTokenSets(run: run, sets)
            var (p, r) = prompt()
            p.itemKey = item
            r = LensPromptResult(prompt: p, columns: r.columns)
            try file.commit(run: run, batch: IngestBatch(lensPrompts: [p], lensResults: [r]))
            try file.close()
            return url
        }
        let a = try shard("a.polylens", item: "1", sets: sets), b = try shard("b.polylens", item: "2", sets: sets)
        let out = dir.appendingPathComponent("merged.polylens")
        XCTAssertEqual(try PolylensFile.merge(into: out, from: [a, b]).lensPrompts, 2)
        let merged = try PolylensFile.open(out)
        XCTAssertEqual(try merged.tokenSets(run: 1), sets)
        XCTAssertEqual(try merged.lensResults(run: 1).map(\.itemKey), ["1", "2"])
        XCTAssertEqual(try merged.lensResults(run: 1).map(\.columns), [prompt().1.columns, prompt().1.columns])
        XCTAssertTrue(try merged.verify().isSound)
        let other = try shard("c.polylens", item: "3", sets: [sets[0]])
        XCTAssertThrowsError(try PolylensFile.merge(into: dir.appendingPathComponent("bad.polylens"), from: [a, other])) {
            XCTAssertTrue("\($0)".contains("already holds other token sets"), "\($0)")
        }
    }

    /// A schema-1 file (lens_states, no lens tables) opens read-only as it is, and is upgraded when opened for writing.
    func testVersionOneFilesStillRead() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("v1.polylens")
        let v1 = try XCTUnwrap(PolylensFile.migrations.first { $0.version == 1 })
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            try db.execute(sql: v1.sql)
            try db.execute(sql: "PRAGMA user_version = 1")
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('001_initial')")
            try db.execute(sql: """
                INSERT INTO runs VALUES (1, 'm', 'hf', 'aa', 't', 'bb', '{"vocab_size":50}', '{}', '0.1', 'x', 'x');
                INSERT INTO lens_prompts (id, run_id, source, target, item_key, tokens, first_position, layers, dim)
                VALUES (1, 1, 'C', 'Python', '1', ?, 1, 1, 2);
                INSERT INTO lens_states VALUES (1, 0, ?);
                """, arguments: [BlobCodec.encode([Int32(1), 2, 3]), BlobCodec.encode([Float(1), 2], as: .f16, shape: [1, 2])])
        }
        try queue.close()

        let old = try PolylensFile.open(url)
        XCTAssertFalse(try old.hasLensResults(run: 1))
        XCTAssertEqual(try old.lensResults(run: 1).count, 0)
        XCTAssertEqual(try old.tokenSets(run: 1), [])
        XCTAssertEqual(try old.lensPrompts(run: 1).first?.states, [1, 2])
        XCTAssertEqual(try old.verify().problems, [], "a version-1 file is sound as it is (issue 9)")
        try old.close()

        let upgraded = try PolylensFile.open(url, readOnly: false)
        try upgraded.storeTokenSets(run: 1, sets)
        try upgraded.close()
        let again = try PolylensFile.open(url)
        XCTAssertEqual(try again.tokenSets(run: 1), sets)
        XCTAssertTrue(try again.verify().isSound)
    }
}
