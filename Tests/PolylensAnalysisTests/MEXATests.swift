import XCTest
import PolylensModel
import PolylensStore
@testable import PolylensAnalysis

final class MEXATests: XCTestCase {
    func testStrictRowAndColumnMaximum() {
        // i 0: .9 beats row (.5, .1) and column (.2, .3). i 1: ties .8 in its row. i 2: column has .8 ≥ .7.
        XCTAssertEqual(MEXA.alignment([0.9, 0.5, 0.1,
                                       0.2, 0.8, 0.8,
                                       0.3, 0.1, 0.7], n: 3), 1.0 / 3)
        XCTAssertEqual(MEXA.alignment([0.5, 0.5, 0.5, 0.5], n: 2), 0)  // all cosines equal: nothing counts
        XCTAssertEqual(MEXA.alignment([1, 0, 0, 1], n: 2), 1)
        XCTAssertEqual(MEXA.alignment([-0.3], n: 1), 1)
    }

    private func summary(_ layers: [[Float]]) -> DocumentSummary {
        DocumentSummary(pooling: .weightedMean, layers: layers.count, dim: layers[0].count, values: layers.flatMap { $0 })
    }

    /// Layer 0 (unit-free 2-d vectors; C's z is zero):   A x (1,0) y (0,1) z (1,1)
    ///                                                   B x (2,.1) y (0,3) z (-1,0)
    ///                                                   C x (1,0) y (0,1) z (0,0)
    /// Layer 1: x (1,0), y (0,1), z (1,-1) in every language.
    private func example() throws -> ParallelEmbeddings {
        let l1: [[Float]] = [[1, 0], [0, 1], [1, -1]]
        let rows: [[[Float]]] = [[[1, 0], [0, 1], [1, 1]], [[2, 0.1], [0, 3], [-1, 0]], [[1, 0], [0, 1], [0, 0]]]
        return try ParallelEmbeddings(languages: ["A", "B", "C"], items: ["x", "y", "z"],
                                      summaries: rows.map { lang in (0..<3).map { summary([lang[$0], l1[$0]]) } })
    }

    func testPairMatrixWorkedByHand() throws {
        let r = try MEXA.run(try example())
        XCTAssertEqual(r.layers, [0, 1])
        // A–B: cos rows (A) × columns (B): x (.99875, 0, -1), y (.04994, 1, 0), z (.7415, .7071, -.7071):
        // x and y count, z does not → 2/3. A–C: z's diagonal is 0 < .7071 → 2/3. B–C: z's row (-1, 0) ties 0 → 2/3.
        // A–A and B–B: 1. C–C: z against itself is 0, equal to its 0 cosines → 2/3.
        let t = 2.0 / 3
        XCTAssertEqual(r.scores[0], [[1, t, t], [t, 1, t], [t, t, t]])
        XCTAssertEqual(r.scores[1], [[1, 1, 1], [1, 1, 1], [1, 1, 1]])
        let without = r.pivotAverages()
        XCTAssertEqual(without[0], [t, t, t])
        let with = r.pivotAverages(includeSelf: true)
        XCTAssertEqual(with[0][0], 7.0 / 9, accuracy: 1e-15)
        XCTAssertEqual(with[0][2], t, accuracy: 1e-15)
        // English-style pivot: C averaged over the targets A and B only.
        XCTAssertEqual(r.pivotAverages(targets: ["A", "B"])[0], [t, t, t])
        XCTAssertEqual(try MEXA.run(try example(), layers: [1]).scores, [r.scores[1]])
        XCTAssertThrowsError(try MEXA.run(try example(), layers: [2])) {
            XCTAssertEqual("\($0)", "MEXA: layer 2 is outside 0...1")
        }
    }

    /// The Gram-matrix path against cosines computed pair by pair in Float64.
    func testAgreesWithDirectCosines() throws {
        var rng = SplitMix64(seed: 3)
        let (langs, n, layers, d) = (4, 9, 3, 6)
        func noise() -> Float { Float(Int(rng.next() % 2001) - 1000) / 1000 }
        let base = (0..<(n * layers * d)).map { _ in noise() }
        let table = (0..<langs).map { _ in
            (0..<n).map { i in
                DocumentSummary(pooling: .weightedMean, layers: layers, dim: d,
                                values: (0..<(layers * d)).map { base[i * layers * d + $0] + 0.8 * noise() })
            }
        }
        let e = try ParallelEmbeddings(languages: ["a", "b", "c", "d"], items: (0..<n).map { "\($0)" }, summaries: table)
        let r = try MEXA.run(e)
        func cos(_ u: ArraySlice<Float>, _ v: ArraySlice<Float>) -> Double {
            let (u, v) = (u.map(Double.init), v.map(Double.init))
            let dot = zip(u, v).map(*).reduce(0, +)
            return dot / (u.map { $0 * $0 }.reduce(0, +).squareRoot() * v.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
        var distinct = Set<Double>()
        for l in 0..<layers {
            for a in 0..<langs {
                for b in 0..<langs {
                    var s = [Double]()
                    for i in 0..<n { for j in 0..<n { s.append(cos(table[a][i].layer(l), table[b][j].layer(l))) } }
                    XCTAssertEqual(r.scores[l][a][b], MEXA.alignment(s, n: n))
                    distinct.insert(r.scores[l][a][b])
                }
            }
        }
        XCTAssertGreaterThan(distinct.count, 2)  // the data exercise more than all-or-nothing
    }

    func testItemsArePairedByKeySortedAndCapped() throws {
        func doc(_ lang: String, _ key: String?) -> DocumentInfo {
            DocumentInfo(language: lang, source: "parallel:\(lang)/\(key ?? "-")", itemKey: key, sha256: "", bytes: 1,
                         tokens: 1, heldOut: false, tokenIds: nil)
        }
        let s = summary([[1, 0]])
        let docs: [(document: DocumentInfo, summary: DocumentSummary)] = [
            (doc("Python", "20-1"), s), (doc("Python", "3-2"), s), (doc("Python", "100-1"), s), (doc("Python", nil), s),
            (doc("English", "3-2"), s), (doc("English", "100-1"), s), (doc("English", "20-1"), s), (doc("English", "7-7"), s),
        ]
        let e = try ParallelEmbeddings(docs)
        XCTAssertEqual(e.languages, ["English", "Python"])
        XCTAssertEqual(e.items, ["100-1", "20-1", "3-2"])
        XCTAssertEqual(try ParallelEmbeddings(docs, items: 2).items, ["100-1", "20-1"])
        XCTAssertThrowsError(try ParallelEmbeddings(docs, languages: ["English", "Java"])) {
            XCTAssertEqual("\($0)", "MEXA: no parallel items for language Java")
        }
        XCTAssertThrowsError(try ParallelEmbeddings(docs, items: 1)) {
            XCTAssertEqual("\($0)", "MEXA: 1 item(s) shared by English, Python; at least 2 are needed")
        }
        XCTAssertThrowsError(try ParallelEmbeddings(languages: ["a", "b"], items: ["x"],
                                                    summaries: [[s], [summary([[1, 0, 0]])]])) {
            XCTAssertEqual("\($0)", "MEXA: b item x has 1 layers × 3 (3 values), expected 1 × 2")
        }
    }
}

final class MEXAIntervalTests: XCTestCase {
    /// Hand-worked: the intervals resample items. A pair whose items all match is [1, 1]; a pair matching one
    /// of two items is a two-value bootstrap, [0, 1]. For a pivot average, one resample of items serves every
    /// target: targets with complementary hits average 1/2 in every resample, so that interval is a point.
    func testIntervalsResampleItemsAndShareThemAcrossTargets() {
        let hits: [[[UInt8]]] = [
            [[1, 1], [1, 0], [0, 1]],
            [[1, 0], [1, 1], [1, 1]],
            [[0, 1], [1, 1], [1, 1]],
        ]
        let mean = { (h: [UInt8]) in Double(h.reduce(0) { $0 + Int($1) }) / Double(h.count) }
        let r = MEXAResult(languages: ["A", "B", "C"], items: ["1", "2"], layers: [0],
                           scores: [hits.map { $0.map(mean) }], hits: [hits])
        let pairs = r.intervals(resamples: 4000)
        XCTAssertEqual([pairs[0][1][1].low, pairs[0][1][1].high], [1, 1])
        XCTAssertEqual([pairs[0][0][1].estimate, pairs[0][0][1].low, pairs[0][0][1].high], [0.5, 0, 1])
        let pivots = r.pivotAverageIntervals(resamples: 4000)
        XCTAssertEqual(r.pivotAverages()[0][0], 0.5)
        XCTAssertEqual([pivots[0][0].estimate, pivots[0][0].low, pivots[0][0].high], [0.5, 0.5, 0.5])
        // B's targets A (1, 0) and C (1, 1): resamples average 1/2, 3/4 or 1 → [0.5, 1].
        XCTAssertEqual([pivots[0][1].low, pivots[0][1].high], [0.5, 1])
        XCTAssertTrue(MEXAResult(languages: ["A"], items: [], layers: [], scores: []).intervals().isEmpty)
    }
}
