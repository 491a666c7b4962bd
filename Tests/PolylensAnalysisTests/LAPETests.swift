import XCTest
import PolylensModel
import PolylensStore
@testable import PolylensAnalysis

final class LAPETests: XCTestCase {
    private func stats(_ lang: String, _ layer: Int, tokens: Int64, _ active: [Int64]) -> NeuronStats {
        NeuronStats(language: lang, layer: layer, tokens: tokens, active: active,
                    sum: active.map { _ in 0 }, sumSquares: active.map { _ in 0 }, max: active.map { _ in 0 })
    }

    /// 2 layers × 3 neurons × languages A (n 10), B (n 20), C (n 10). P by neuron (A, B, C):
    /// 0:0 (1, 0, 0)  0:1 (.5, .5, 0)  0:2 (0, 0, 0)  1:0 (0, 1, 1)  1:1 (.2, .2, .2)  1:2 (0, 0, .9)
    private func example() throws -> ActivationProbabilities {
        try ActivationProbabilities(stats: [
            stats("A", 0, tokens: 10, [10, 5, 0]), stats("A", 1, tokens: 10, [0, 2, 0]),
            stats("B", 0, tokens: 20, [0, 10, 0]), stats("B", 1, tokens: 20, [20, 4, 0]),
            stats("C", 0, tokens: 10, [0, 0, 0]), stats("C", 1, tokens: 10, [10, 2, 9]),
        ])
    }

    func testThresholdIsKthValueAtRoundedRankWithHalfToEven() {
        let v = (1...10).map(Double.init).shuffled()
        // 0.25 · 10 = 2.5 rounds to 2 (Python's round), 0.35 · 10 = 3.5 to 4; k is 1-based.
        XCTAssertEqual(LAPE.threshold(v, quantile: 0.25).tau, 2)
        XCTAssertEqual(LAPE.threshold(v, quantile: 0.25).rank, 2)
        XCTAssertEqual(LAPE.threshold(v, quantile: 0.35).tau, 4)
        XCTAssertEqual(LAPE.threshold(v, quantile: 0.95).tau, 10)  // 9.5 → 10
        XCTAssertEqual(LAPE.threshold([0, 0, 0, 7], quantile: 0.5).tau, 0)
    }

    func testProbabilitiesEntropyAndTau() throws {
        let p = try example()
        XCTAssertEqual(p.languages, ["A", "B", "C"])
        XCTAssertEqual(p[0, 1, 1], 0.5)
        XCTAssertEqual(p[1, 2, 2], 0.9)
        // Sorted P: nine 0, three .2, two .5, .9, three 1; 0.95 · 18 = 17.1 → k 17 → τ = 1: nothing is above.
        let strict = try LAPE.run(p)
        XCTAssertEqual(strict.tau, 1)
        XCTAssertEqual(strict.tauRank, 17)
        XCTAssertTrue(strict.entropy.allSatisfy { $0 == .infinity })
        XCTAssertEqual(strict.selected, [[], [], []])
        // 0.7 · 18 = 12.6 → k 13 → τ = .5; 0:1 has P = .5 = τ (not above): excluded like 1:1 and 0:2.
        let r = try LAPE.run(p, quantile: 0.7)
        XCTAssertEqual(r.tau, 0.5)
        XCTAssertEqual(r.entropy[0], 0)
        XCTAssertEqual(r.entropy[1], .infinity)
        XCTAssertEqual(r.entropy[2], .infinity)  // active for no language
        XCTAssertEqual(r.entropy[3], log(2), accuracy: 1e-15)
        XCTAssertEqual(r.entropy[4], .infinity)
        XCTAssertEqual(r.entropy[5], 0)
        XCTAssertEqual(LAPE.entropy(p, tau: 0.1)[4], log(3), accuracy: 1e-15)
    }

    func testPaperSelectionPerLanguage() throws {
        let r = try LAPE.run(try example(), selection: .perLanguage(400), quantile: 0.7)
        let n = { NeuronRef(layer: $0, neuron: $1) }
        XCTAssertEqual(r.selected, [[n(0, 0)], [n(1, 0)], [n(1, 0), n(1, 2)]])
        XCTAssertEqual(r.countsPerLayer, [[1, 0], [0, 1], [0, 2]])
        XCTAssertEqual(r.overlap, [[1, 0, 0], [0, 1, 1], [0, 1, 2]])
        // ν = 1 keeps C's lowest-entropy neuron (1:2, H 0) over 1:0 (H ln 2).
        let one = try LAPE.run(try example(), selection: .perLanguage(1), quantile: 0.7)
        XCTAssertEqual(one.selected, [[n(0, 0)], [n(1, 0)], [n(1, 2)]])
    }

    func testOriginalTopRateSelection() throws {
        let p = try example()
        let n = { NeuronRef(layer: $0, neuron: $1) }
        // round(6 · .5) = 3 lowest entropies: 0:0 (0), 1:2 (0), 1:0 (ln 2); 1:0 joins both B and C.
        let half = try LAPE.run(p, selection: .topRate(0.5), quantile: 0.7)
        XCTAssertEqual(half.selected, [[n(0, 0)], [n(1, 0)], [n(1, 0), n(1, 2)]])
        // round(6 · .34) = 2: 0:0 and 1:2; B gets none.
        let third = try LAPE.run(p, selection: .topRate(0.34), quantile: 0.7)
        XCTAssertEqual(third.selected, [[n(0, 0)], [], [n(1, 2)]])
        // round(1.2) = 1: the entropy tie 0:0 = 1:2 = 0 goes to the lower index.
        let tie = try LAPE.run(p, selection: .topRate(0.2), quantile: 0.7)
        XCTAssertEqual(tie.selected, [[n(0, 0)], [], []])
    }

    func testLanguageWithNoNeuronAboveTau() throws {
        // One layer, A: P (1, 1), B: P (.1, 0). 0.5 · 4 = 2 → τ = .1: B's .1 is not above it.
        let p = try ActivationProbabilities(stats: [stats("A", 0, tokens: 10, [10, 10]), stats("B", 0, tokens: 10, [1, 0])])
        let r = try LAPE.run(p, quantile: 0.5)
        XCTAssertEqual(r.tau, 0.1, accuracy: 0)
        let a = 1 / 1.1, b = 0.1 / 1.1
        XCTAssertEqual(r.entropy[0], -(a * log(a) + b * log(b)), accuracy: 1e-15)
        XCTAssertEqual(r.entropy[1], 0)
        XCTAssertEqual(r.selected[1], [])
        let one = try LAPE.run(p, selection: .perLanguage(1), quantile: 0.5)
        XCTAssertEqual(one.selected, [[NeuronRef(layer: 0, neuron: 1)], []])
    }

    /// The partial selections against a full sort on random probabilities with many ties.
    func testAgreesWithFullSortReference() throws {
        var rng = SplitMix64(seed: 7)
        let (langs, layers, neurons) = (4, 5, 60)
        let values = (0..<(langs * layers * neurons)).map { _ in Double(rng.next() % 9) / 8 }
        let p = try ActivationProbabilities(languages: ["a", "b", "c", "d"], layers: layers, neurons: neurons, values: values)
        for q in [0.5, 0.8, 0.95] {
            let k = Int((q * Double(values.count)).rounded(.toNearestOrEven))
            let tau = values.sorted()[k - 1]
            let h = LAPE.entropy(p, tau: tau)
            for nu in [0, 7, 1000] {
                let r = try LAPE.run(p, selection: .perLanguage(nu), quantile: q)
                XCTAssertEqual(r.tau, tau)
                for l in 0..<langs {
                    let expected = (0..<(layers * neurons)).filter { values[$0 * langs + l] > tau }
                        .sorted { (h[$0], $0) < (h[$1], $1) }.prefix(nu)
                        .map { NeuronRef(layer: $0 / neurons, neuron: $0 % neurons) }.sorted()
                    XCTAssertEqual(r.selected[l], expected)
                }
            }
            let r = try LAPE.run(p, selection: .topRate(0.1), quantile: q)
            let top = (0..<(layers * neurons)).sorted { (h[$0], $0) < (h[$1], $1) }.prefix(30)
            for l in 0..<langs {
                XCTAssertEqual(r.selected[l], top.filter { values[$0 * langs + l] > tau }
                    .map { NeuronRef(layer: $0 / neurons, neuron: $0 % neurons) }.sorted())
            }
        }
    }

    func testBadStatisticsAreRejected() {
        XCTAssertThrowsError(try ActivationProbabilities(stats: [stats("A", 0, tokens: 10, [1]), stats("A", 2, tokens: 10, [1])])) {
            XCTAssertEqual("\($0)", "LAPE: language A has no statistics for layer 1")
        }
        XCTAssertThrowsError(try ActivationProbabilities(stats: [stats("A", 0, tokens: 10, [1]), stats("B", 0, tokens: 10, [1, 2])])) {
            XCTAssertEqual("\($0)", "LAPE: language B layer 0 has 2 neurons, expected 1")
        }
        XCTAssertThrowsError(try ActivationProbabilities(stats: [stats("A", 0, tokens: 0, [0])])) {
            XCTAssertEqual("\($0)", "LAPE: language A has no counted tokens")
        }
        XCTAssertThrowsError(try ActivationProbabilities(stats: [stats("A", 0, tokens: 5, [1])], languages: ["A", "Rust"])) {
            XCTAssertEqual("\($0)", "LAPE: no neuron statistics for language Rust")
        }
        XCTAssertThrowsError(try ActivationProbabilities(stats: [stats("A", 0, tokens: 5, [1]), stats("A", 1, tokens: 5, [6])])) {
            XCTAssertEqual("\($0)", "LAPE: language A layer 1 has active counts outside 0...5")
        }
        XCTAssertThrowsError(try ActivationProbabilities(languages: ["A"], layers: 1, neurons: 1, values: [.nan]))
        XCTAssertThrowsError(try LAPE.run(try ActivationProbabilities(stats: [stats("A", 0, tokens: 5, [1])]), quantile: 1.5))
    }
}

final class LAPEWarningsAndStabilityTests: XCTestCase {
    private let n = { NeuronRef(layer: $0, neuron: $1) }

    /// Hand-made result: A's set {0:0, 0:1}, B's {0:1, 1:0, 1:1} with ν = 3; the shared 0:1 is half of A's.
    func testWarnings() throws {
        let r = LAPEResult(languages: ["A", "B", "C"], layers: 2, neurons: 2, selection: .perLanguage(3), quantile: 0.9, tau: 0.1,
                           tauRank: 1, entropy: [0, 0, 0, 0],
                           selected: [[n(0, 0), n(0, 1)], [n(0, 1), n(1, 0), n(1, 1)], [n(0, 1), n(1, 0), n(1, 1)]])
        XCTAssertEqual(LAPEWarnings.of(r, tokens: ["A": 1000, "B": 900, "C": 100]), [
            "ν = 3 is not reached: A has 2 (only neurons with P > τ can be selected)",
            "B's set shares 3 of its 3 neurons with C's",
            "C's set shares 3 of its 3 neurons with B's",
            "1 neuron is selected for every language: not specific to any",
            "C rests on 100 tokens, under 20% of the median language's 900",
        ])
        // Exactly half is not "more than half"; nothing else is wrong here.
        let fine = LAPEResult(languages: ["A", "B", "C"], layers: 1, neurons: 4, selection: .perLanguage(2), quantile: 0.9, tau: 0.1,
                              tauRank: 1, entropy: [0, 0, 0, 0], selected: [[n(0, 0), n(0, 1)], [n(0, 1), n(0, 2)], [n(0, 2), n(0, 3)]])
        XCTAssertEqual(LAPEWarnings.of(fine, tokens: ["A": 10, "B": 10, "C": 3]), [])
    }

    func testOneLanguageIsRefused() throws {
        let p = try ActivationProbabilities(languages: ["C"], layers: 1, neurons: 2, values: [0.5, 0.1])
        XCTAssertThrowsError(try LAPE.run(p)) {
            XCTAssertEqual("\($0)", "LAPE compares languages and needs at least two; the statistics hold only C")
        }
    }

    func testJaccardAndStabilityOfAClearSelection() throws {
        XCTAssertEqual(LAPEStability.jaccard([n(0, 0), n(0, 1)], [n(0, 1), n(0, 2)]), 1.0 / 3)
        XCTAssertEqual(LAPEStability.jaccard([], []), 1)
        // Neuron 0 fires only in A's documents and neuron 1 only in B's, in every document; 2 and 3 fire
        // everywhere. Any resample selects {0} for A and {1} for B: Jaccard 1 with that reference.
        let docs = (0..<6).map { i in DocumentActivity(language: i % 2 == 0 ? "A" : "B", tokens: 10,
                                                        active: i % 2 == 0 ? [9, 0, 5, 5] : [0, 9, 5, 5]) }
        let s = try LAPEStability.run(docs, languages: ["A", "B"], layers: 1, neurons: 4, reference: [[n(0, 0)], [n(0, 1)]],
                                      selection: .perLanguage(1), quantile: 0.5, resamples: 20)
        XCTAssertEqual(s.documents, [3, 3])
        XCTAssertEqual(s.jaccard, [[Double](repeating: 1, count: 20), [Double](repeating: 1, count: 20)])
        // Against a wrong reference the index is 0 in every resample.
        let wrong = try LAPEStability.run(docs, languages: ["A", "B"], layers: 1, neurons: 4, reference: [[n(0, 1)], [n(0, 0)]],
                                          selection: .perLanguage(1), quantile: 0.5, resamples: 5)
        XCTAssertEqual(wrong.mean(0), 0)
        XCTAssertThrowsError(try LAPEStability.run(docs.filter { $0.language == "A" }, languages: ["A", "B"], layers: 1, neurons: 4,
                                                   reference: [[], []], selection: .perLanguage(1), quantile: 0.5, resamples: 5)) {
            XCTAssertTrue("\($0)".contains("no documents of B"))
        }
    }
}
