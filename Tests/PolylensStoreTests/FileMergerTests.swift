import Foundation
import XCTest
@testable import PolylensStore

final class FileMergerTests: XCTestCase {
    /// Two shards over disjoint documents merge into what one file holding both would hold.
    func testMergeOfShardsEqualsOneFile() throws {
        let dir = try StoreFixture.directory(self)
        let (a, runA) = try StoreFixture.makeFile(at: dir.appendingPathComponent("a.polylens"), offset: 0)
        let (b, runB) = try StoreFixture.makeFile(at: dir.appendingPathComponent("b.polylens"), offset: 10)
        try a.storeUnembedding(run: runA, finalNorm: [Float](repeating: 1, count: 4), matrix: [Float](repeating: 0.5, count: 12), vocab: 3, dim: 4)
        let out = dir.appendingPathComponent("merged.polylens")
        let summary = try PolylensFile.merge(into: out, from: [a.url, b.url])
        XCTAssertEqual(summary.documents, 44)
        XCTAssertEqual(summary.lensPrompts, 4)

        let merged = try PolylensFile.open(out)
        let run = try merged.resolveRun(nil)
        var expected = try a.neuronStats(run: runA)
        for (k, s) in try b.neuronStats(run: runB).enumerated() { expected[k].add(s) }
        XCTAssertEqual(try merged.neuronStats(run: run), expected)
        var states = try a.languageStates(run: runA)
        for (k, s) in try b.languageStates(run: runB).enumerated() { states[k].add(s) }
        XCTAssertFalse(states.isEmpty)
        XCTAssertEqual(try merged.languageStates(run: run), states)
        XCTAssertEqual(try merged.documents(run: run), try a.documents(run: runA) + b.documents(run: runB))
        XCTAssertEqual(try merged.summaries(run: run, pooling: .last).map(\.summary.values),
                       try (a.summaries(run: runA, pooling: .last) + b.summaries(run: runB, pooling: .last)).map(\.summary.values))
        XCTAssertEqual(try merged.lensPrompts(run: run).map(\.itemKey), ["100-1", "100-1", "1010-1", "1010-1"])
        XCTAssertEqual(try merged.unembedding(run: run)?.vocab, 3)
        XCTAssertEqual(try merged.runs().first?.info, StoreFixture.runInfo())
        XCTAssertTrue(try merged.verify().isSound)
    }

    func testMergeRefusesOverlapsAndOtherModelsWithoutWriting() throws {
        let dir = try StoreFixture.directory(self)
        let (a, _) = try StoreFixture.makeFile(at: dir.appendingPathComponent("a.polylens"), offset: 0)
        let (overlapping, _) = try StoreFixture.makeFile(at: dir.appendingPathComponent("o.polylens"), offset: 3)
        let (other, _) = try StoreFixture.makeFile(at: dir.appendingPathComponent("m.polylens"), modelSHA: String(repeating: "99", count: 32), offset: 20)
        let out = dir.appendingPathComponent("out.polylens")

        assertError(try PolylensFile.merge(into: out, from: [a.url, overlapping.url]), contains: "is also in \(a.url.path); merge needs disjoint documents")
        assertError(try PolylensFile.merge(into: out, from: [a.url, other.url]), contains: "different model")
        assertError(try PolylensFile.merge(into: out, from: [a.url, a.url]), contains: "given twice")
        assertError(try PolylensFile.merge(into: a.url, from: [other.url, a.url]), contains: "is also the output")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "nothing written on refusal")

        // Extending an existing output: its documents count as overlap too.
        _ = try PolylensFile.merge(into: out, from: [a.url])
        let before = try PolylensFile.open(out).neuronStats(run: 1)
        assertError(try PolylensFile.merge(into: out, from: [overlapping.url]), contains: "is also in \(out.path)")
        XCTAssertEqual(try PolylensFile.open(out).neuronStats(run: 1), before)
    }
}
