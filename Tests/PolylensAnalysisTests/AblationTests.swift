import XCTest
import PolylensModel
import PolylensEngine
import PolylensStore
@testable import PolylensAnalysis

final class AblationTests: XCTestCase {
    private let n = { NeuronRef(layer: $0, neuron: $1) }

    func testRandomControlKeepsPerLayerCountsAndIsSeeded() throws {
        let set = [n(0, 1), n(0, 2), n(0, 3), n(2, 5)]
        var a = SplitMix64(seed: 42), b = SplitMix64(seed: 42), c = SplitMix64(seed: 43)
        let x = try Ablation.randomControl(like: set, width: 8, rng: &a)
        XCTAssertEqual(x.filter { $0.layer == 0 }.count, 3)
        XCTAssertEqual(x.filter { $0.layer == 2 }.count, 1)
        XCTAssertEqual(Set(x).count, 4)
        XCTAssertTrue(x.allSatisfy { $0.neuron >= 0 && $0.neuron < 8 })
        XCTAssertEqual(x, try Ablation.randomControl(like: set, width: 8, rng: &b))
        // A full layer must come back whole; another seed gives another draw somewhere among 20 tries.
        var full = SplitMix64(seed: 1)
        XCTAssertEqual(try Ablation.randomControl(like: (0..<8).map { n(1, $0) }, width: 8, rng: &full), (0..<8).map { n(1, $0) })
        var differs = false
        for _ in 0..<20 where try Ablation.randomControl(like: set, width: 8, rng: &c) != x { differs = true }
        XCTAssertTrue(differs)
        XCTAssertThrowsError(try Ablation.randomControl(like: [n(0, 9)], width: 8, rng: &a)) {
            XCTAssertEqual("\($0)", "ablation: layer 0 of the set names neurons outside 0..<8")
        }
    }

    func testRandomControlIsUniform() throws {
        var rng = SplitMix64(seed: 5)
        var hits = [Int](repeating: 0, count: 10)
        for _ in 0..<20_000 { for x in try Ablation.randomControl(like: [n(0, 0), n(0, 1), n(0, 2)], width: 10, rng: &rng) { hits[x.neuron] += 1 } }
        // Each neuron is drawn with probability 3/10: 6000 of 20000, binomial sd ≈ 65.
        for h in hits { XCTAssertEqual(Double(h), 6000, accuracy: 400) }
    }

    func testEvaluationDocumentsAreHeldOutAndCapped() {
        func doc(_ id: Int64, _ ids: [Int32]?, heldOut: Bool = true) -> (id: Int64, document: DocumentInfo) {
            (id, DocumentInfo(language: "C", source: "x", itemKey: nil, sha256: "", bytes: 0, tokens: ids?.count ?? 0,
                              heldOut: heldOut, tokenIds: ids))
        }
        let docs = [doc(1, [1, 5, 6, 7], heldOut: false), doc(2, [1, 2, 3, 4]), doc(3, [1]), doc(4, nil), doc(5, [1, 8, 9])]
        let e = { EvaluationDocument(id: $0, tokens: $1) }
        XCTAssertEqual(Ablation.evaluationDocuments(docs, cap: nil), [e(2, [1, 2, 3, 4]), e(5, [1, 8, 9])])
        // 3 + 2 predicted tokens in all; a cap of 4 cuts the second document to [1, 8].
        XCTAssertEqual(Ablation.evaluationDocuments(docs, cap: 4), [e(2, [1, 2, 3, 4]), e(5, [1, 8])])
        XCTAssertEqual(Ablation.evaluationDocuments(docs, cap: 2), [e(2, [1, 2, 3])])
    }

    /// A fake engine whose NLL per token is 1 + (number of ablated neurons of layer 0 that the token id names).
    private let evaluate: ([Int32], NeuronAblation?) throws -> [Double] = { tokens, ablation in
        let hit = Set(ablation?.neurons[0] ?? [])
        return tokens.dropFirst().map { 1 + (hit.contains(Int($0)) ? 1 : 0) }
    }

    func testMeasuresEveryLanguageAgainstBaselineAndControl() throws {
        let eval = [(language: "C", documents: [EvaluationDocument(id: 10, tokens: [0, 3, 3]), EvaluationDocument(id: 11, tokens: [0, 4])]),
                    (language: "Java", documents: [EvaluationDocument(id: 12, tokens: [0, 5, 6, 7])])]
        let out = try Ablation.run(sets: [(language: "C", neurons: [n(0, 3)])], evaluation: eval, width: 10, controlSeeds: [9, 10],
                                   evaluate: evaluate)
        XCTAssertEqual(out.count, 3)
        // C: tokens 3, 3, 4 → NLL 2, 2, 1 after ablating neuron 3: mean 5/3 against 1. Java untouched.
        XCTAssertEqual(out[0].measurements, [
            AblationMeasurement(language: "C", tokens: 3, baseline: 1, ablated: 5.0 / 3,
                                documents: [DocumentNLL(document: 10, tokens: 2, baseline: 1, ablated: 2),
                                            DocumentNLL(document: 11, tokens: 1, baseline: 1, ablated: 1)]),
            AblationMeasurement(language: "Java", tokens: 3, baseline: 1, ablated: 1,
                                documents: [DocumentNLL(document: 12, tokens: 3, baseline: 1, ablated: 1)]),
        ])
        XCTAssertEqual(out[0].measurements[0].change, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(out[0].measurements[0].ablatedPerplexity, exp(5.0 / 3), accuracy: 1e-12)
        XCTAssertEqual(out.map(\.controlSeed), [nil, 9, 10])
        for (o, seed) in zip(out.dropFirst(), [UInt64(9), 10]) {
            var rng = SplitMix64(seed: seed)
            XCTAssertEqual(o.neurons, try Ablation.randomControl(like: [n(0, 3)], width: 10, rng: &rng), "each seed its own generator")
        }
        XCTAssertThrowsError(try Ablation.run(sets: [], evaluation: [(language: "PHP", documents: [])], width: 10,
                                              controlSeeds: [], evaluate: evaluate)) {
            XCTAssertEqual("\($0)", "ablation: language PHP has no held-out tokens to evaluate")
        }
        XCTAssertThrowsError(try Ablation.documentNLL([EvaluationDocument(id: 1, tokens: [1, 2])]) { _ in [1, 2] })
    }

    func testSetToParsesZeroPercentilesAndNumbers() throws {
        XCTAssertEqual(try AblationValue(parsing: "zero"), .zero)
        XCTAssertEqual(try AblationValue(parsing: "p99"), .quantile(0.99))
        XCTAssertEqual(try AblationValue(parsing: "P99.9"), .quantile(0.999))
        XCTAssertEqual(try AblationValue(parsing: "p50"), .quantile(0.5))
        XCTAssertEqual(try AblationValue(parsing: "-0.25"), .constant(-0.25))
        XCTAssertEqual(["zero", "p90", "p99.9", "1.5"].map { try? AblationValue(parsing: $0).description }, ["zero", "p90", "p99.9", "1.5"])
        XCTAssertTrue(try AblationValue(parsing: "p90").needsHistograms)
        XCTAssertFalse(try AblationValue(parsing: "2").needsHistograms)
        for bad in ["p0", "p101", "pq", "nan", "inf", ""] { XCTAssertThrowsError(try AblationValue(parsing: bad), bad) }
    }

    /// Controls are pinned as the set they match: `pin` gets that set's language.
    func testPinIsAskedWithTheSetsLanguageForSetsAndControls() throws {
        var asked: [String] = []
        let eval = [(language: "C", documents: [EvaluationDocument(id: 10, tokens: [0, 3, 3])])]
        let out = try Ablation.run(sets: [(language: "C", neurons: [n(0, 3)]), (language: "Java", neurons: [n(0, 4)])], evaluation: eval,
                                   width: 10, controlSeeds: [1], pin: { language, neurons in
                                       asked.append(language)
                                       return NeuronAblation(neurons: Ablation.byLayer(neurons), values: [0: neurons.map { _ in 1 }])
                                   }) { tokens, ablation in
            XCTAssertEqual(ablation.map { $0.values[0] ?? [] } ?? [1], [1])
            return tokens.dropFirst().map { _ in 1 }
        }
        XCTAssertEqual(out.count, 4)
        XCTAssertEqual(asked, ["C", "Java", "C", "Java"])
    }

    /// Hand-worked: documents with ΔNLL 2 (2 tokens) and 0 (1 token). A resample holds k copies of the first of
    /// two draws: ΔNLL per token = 2·2k / (2k + (2 − k)) is 0, 4/3 or 2 with probabilities 1/4, 1/2, 1/4.
    func testChangeIntervalIsOverDocumentsWeightedByTokens() throws {
        let m = AblationMeasurement(language: "C", documents: [DocumentNLL(document: 1, tokens: 2, baseline: 1, ablated: 3),
                                                               DocumentNLL(document: 2, tokens: 1, baseline: 1, ablated: 1)])
        XCTAssertEqual(m.tokens, 3)
        XCTAssertEqual(m.change, 4.0 / 3, accuracy: 1e-15)
        let i = m.changeInterval(resamples: 4000)
        XCTAssertEqual(i.estimate, 4.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(i.low, 0); XCTAssertEqual(i.high, 2)
        XCTAssertEqual(i.method, "percentile bootstrap, 4000 resamples, 95% interval")
    }

    func testControlSpreadAcrossSeedsAndTheSummaryFromStoredRows() throws {
        let spread = ControlSpread(changes: [0.1, 0.3, 0.2])
        XCTAssertEqual(spread.mean, 0.2, accuracy: 1e-15)
        XCTAssertEqual(spread.standardDeviation, 0.1, accuracy: 1e-15)  // numpy.std([.1, .3, .2], ddof=1)
        XCTAssertEqual([spread.min, spread.max], [0.1, 0.3])
        XCTAssertTrue(ControlSpread(changes: [0.5]).standardDeviation.isNaN)

        let eval = [(language: "C", documents: [EvaluationDocument(id: 10, tokens: [0, 3, 3]), EvaluationDocument(id: 11, tokens: [0, 4, 1])]),
                    (language: "Java", documents: [EvaluationDocument(id: 12, tokens: [0, 5, 6, 7])])]
        let out = try Ablation.run(sets: [(language: "C", neurons: [n(0, 3), n(0, 5)]), (language: "Java", neurons: [n(0, 6)])],
                                   evaluation: eval, width: 8, controlSeeds: [1, 2, 3], evaluate: evaluate)
        let ablation = AblationRun(id: 4, run: 1, setName: "s", setSHA256: "ab", setParametersJSON: "{}", parametersJSON: "{}")
        let fresh = AblationSummary(id: 4, ablation: ablation, outcomes: out, resamples: 500)
        // What the file stores: one row per (set, seed, document), in the order the store returns them.
        let rows = out.flatMap { o in
            o.measurements.flatMap { m in
                m.documents.map { AblationDocumentResult(ablatedLanguage: o.setLanguage, controlSeed: o.controlSeed.map { Int64($0) },
                                                         document: $0.document, evalLanguage: m.language, tokens: $0.tokens,
                                                         nllBefore: $0.baseline, nllAfter: $0.ablated) }
            }
        }.sorted { ($0.ablatedLanguage, $0.controlSeed ?? -1, $0.document) < ($1.ablatedLanguage, $1.controlSeed ?? -1, $1.document) }
        let stored = AblationSummary(stored: ablation, documents: rows, resamples: 500)
        XCTAssertEqual(stored.setLanguages, ["C", "Java"])
        XCTAssertEqual(stored.evalLanguages, ["C", "Java"])
        XCTAssertEqual(stored.controlSeeds, [1, 2, 3])
        XCTAssertEqual(stored.cells.count, 4)
        for (a, b) in zip(fresh.cells, stored.cells) {
            XCTAssertEqual([a.ablated, a.evaluated], [b.ablated, b.evaluated])
            XCTAssertEqual(a.change, b.change, "the same documents in the same order give the same interval")
            XCTAssertEqual(a.control.changes, b.control.changes)
            XCTAssertEqual(a.control.seeds, 3)
        }
        // C's set (neurons 3, 5) on C: token 3 twice in document 10 → ΔNLL 1 per token there, 0 in document 11.
        XCTAssertEqual(stored.cells[0].change.estimate, 0.5, accuracy: 1e-15)
        XCTAssertEqual(stored.cells[0].nllBefore, 1)
    }
}
