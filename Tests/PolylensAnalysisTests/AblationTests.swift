import XCTest
import PolylensModel
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

    func testEvaluationSequencesAreHeldOutAndCapped() {
        func doc(_ ids: [Int32]?, heldOut: Bool = true) -> DocumentInfo {
            DocumentInfo(language: "C", source: "x", itemKey: nil, sha256: "", bytes: 0, tokens: ids?.count ?? 0,
                         heldOut: heldOut, tokenIds: ids)
        }
        let docs = [doc([1, 5, 6, 7], heldOut: false), doc([1, 2, 3, 4]), doc([1]), doc(nil), doc([1, 8, 9])]
        XCTAssertEqual(Ablation.evaluationSequences(docs, cap: nil), [[1, 2, 3, 4], [1, 8, 9]])
        // 3 + 2 predicted tokens in all; a cap of 4 cuts the second document to [1, 8].
        XCTAssertEqual(Ablation.evaluationSequences(docs, cap: 4), [[1, 2, 3, 4], [1, 8]])
        XCTAssertEqual(Ablation.evaluationSequences(docs, cap: 2), [[1, 2, 3]])
    }

    /// A fake engine whose NLL per token is 1 + (number of ablated neurons of layer 0 that the token id names).
    func testMeasuresEveryLanguageAgainstBaselineAndControl() throws {
        let evaluate: ([Int32], [Int: [Int]]?) throws -> [Double] = { tokens, ablation in
            let hit = Set(ablation?[0] ?? [])
            return tokens.dropFirst().map { 1 + (hit.contains(Int($0)) ? 1 : 0) }
        }
        let eval = [(language: "C", sequences: [[Int32]([0, 3, 3]), [0, 4]]), (language: "Java", sequences: [[Int32]([0, 5, 6, 7])])]
        let out = try Ablation.run(sets: [(language: "C", neurons: [n(0, 3)])], evaluation: eval, width: 10, controlSeed: 9,
                                   evaluate: evaluate)
        XCTAssertEqual(out.count, 2)
        // C: tokens 3, 3, 4 → NLL 2, 2, 1 after ablating neuron 3: mean 5/3 against 1. Java untouched.
        XCTAssertEqual(out[0].measurements, [
            AblationMeasurement(language: "C", tokens: 3, baseline: 1, ablated: 5.0 / 3),
            AblationMeasurement(language: "Java", tokens: 3, baseline: 1, ablated: 1),
        ])
        XCTAssertEqual(out[0].measurements[0].change, 2.0 / 3, accuracy: 1e-15)
        XCTAssertEqual(out[0].measurements[0].ablatedPerplexity, exp(5.0 / 3), accuracy: 1e-12)
        XCTAssertTrue(out[1].isRandomControl)
        XCTAssertEqual(out[1].neurons.count, 1)
        var rng = SplitMix64(seed: 9)
        XCTAssertEqual(out[1].neurons, try Ablation.randomControl(like: [n(0, 3)], width: 10, rng: &rng))
        XCTAssertThrowsError(try Ablation.run(sets: [], evaluation: [(language: "PHP", sequences: [])], width: 10,
                                              controlSeed: nil, evaluate: evaluate)) {
            XCTAssertEqual("\($0)", "ablation: language PHP has no held-out tokens to evaluate")
        }
        XCTAssertThrowsError(try Ablation.meanNLL([[1, 2]]) { _ in [1, 2] })
    }
}
