import XCTest
import PolylensEngine
import PolylensStore
import PolylensTokenizer
@testable import PolylensAnalysis

final class LensSummaryTests: XCTestCase {
    /// The run's sets: English {1, 2}, C keywords {3}, Python keywords {4, 5}.
    private let sets = [TokenSet(name: "English", kind: TokenSet.english, ids: [1, 2]),
                        TokenSet(name: "C keywords", kind: TokenSet.keywords, language: "C", ids: [3]),
                        TokenSet(name: "Python keywords", kind: TokenSet.keywords, language: "Python", ids: [4, 5])]

    /// A prompt of `positions` positions over 2 layers, top-2; values derived from `seed` so prompts differ.
    private func result(_ source: String, _ target: String, seed: Int, positions: Int) -> LensPromptResult {
        let rows = 2 * positions
        let tokens: [Int32] = [0] + (0..<positions).map { (p: Int) -> Int32 in Int32((p + seed) % 6) }
        let topIds: [Int32] = (0..<rows).flatMap { (r: Int) -> [Int32] in [Int32((r + seed) % 6), Int32((r + seed + 3) % 6)] }
        let topProbabilities: [Float] = (0..<rows).flatMap { (_: Int) -> [Float] in [0.5, 0.25] }
        let correct: [Float] = (0..<rows).map { (r: Int) -> Float in Float((r * 7 + seed * 3) % 10) / 10 }
        let ranks: [Int32] = (0..<rows).map { (r: Int) -> Int32 in Int32(1 + (r + seed) % 4) }
        let entropy: [Float] = (0..<rows).map { (r: Int) -> Float in Float(r + seed) / 4 }
        let mass: [Float] = (0..<(rows * 3)).map { (i: Int) -> Float in Float((i * 5 + seed) % 9) / 20 }
        return LensPromptResult(
            source: source, target: target, itemKey: "\(seed)", tokens: tokens, firstPosition: 0, layers: 2,
            columns: LensColumns(rows: rows, topK: 2, sets: 3, topIds: topIds, topProbabilities: topProbabilities,
                                 correctProbability: correct, correctRank: ranks, entropy: entropy, setMass: mass))
    }

    /// Per prompt: the mean over its positions at one layer of one column.
    private func promptMean(_ r: LensPromptResult, layer: Int, _ value: (Int) -> Double) -> Double {
        (0..<r.positions).map { value(r.row(layer: layer, position: $0)) }.reduce(0, +) / Double(r.positions)
    }

    func testAveragesPromptsAndRoles() throws {
        let results = [result("C", "Python", seed: 1, positions: 3), result("C", "Python", seed: 2, positions: 5),
                       result("Python", "C", seed: 3, positions: 4)]
        let s = try LensSummary.of(results, sets: sets, resamples: 500)
        XCTAssertEqual(s.pairs, [LensPair(source: "C", target: "Python"), LensPair(source: "Python", target: "C")])
        XCTAssertEqual(s.prompts, 3)
        for l in 0..<2 {
            let layer = s.layers[l]
            XCTAssertEqual(layer.positions, 12)
            let correct = results.map { r in promptMean(r, layer: l) { Double(r.columns.correctProbability[$0]) } }
            XCTAssertEqual(layer.correctProbability.estimate, correct.reduce(0, +) / 3, accuracy: 1e-12)
            XCTAssertEqual(layer.correctProbability, Bootstrap.mean(correct, resamples: 500))
            // Target role: Python keywords (set 2) for C→Python, C keywords (set 1) for Python→C.
            let target = results.map { r in promptMean(r, layer: l) { Double(r.columns.setMass[$0 * 3 + (r.target == "Python" ? 2 : 1)]) } }
            XCTAssertEqual(layer.roleMass[LensRole.target.rawValue].estimate, target.reduce(0, +) / 3, accuracy: 1e-12)
            let source = results.map { r in promptMean(r, layer: l) { Double(r.columns.setMass[$0 * 3 + (r.source == "Python" ? 2 : 1)]) } }
            XCTAssertEqual(layer.roleMass[LensRole.source.rawValue].estimate, source.reduce(0, +) / 3, accuracy: 1e-12)
            // Membership from the stored top-k: the correct token, and any English id.
            let inTop = results.map { r in promptMean(r, layer: l) { r.top($0).contains(r.next[$0 % r.positions]) ? 1 : 0 } }
            XCTAssertEqual(layer.correctInTopK, inTop.reduce(0, +) / 3, accuracy: 1e-12)
            let english = results.map { r in promptMean(r, layer: l) { r.top($0).contains { [1, 2].contains($0) } ? 1 : 0 } }
            XCTAssertEqual(layer.roleInTopK[LensRole.english.rawValue], english.reduce(0, +) / 3, accuracy: 1e-12)
        }
    }

    /// Issue 11: the average over all pairs equals the mean of the per-pair results, each pair weighed by its prompts.
    func testAllPairsIsTheMeanOfThePairs() throws {
        let results = (0..<7).map { i in i < 4 ? result("C", "Python", seed: i, positions: 2 + i) : result("Python", "C", seed: i, positions: 9 - i) }
        let all = try LensSummary.of(results, sets: sets, resamples: 100)
        let a = try LensSummary.of(Array(results[..<4]), sets: sets, resamples: 100)
        let b = try LensSummary.of(Array(results[4...]), sets: sets, resamples: 100)
        for l in 0..<2 {
            func mean(_ f: (LensLayerSummary) -> Double) -> Double { (4 * f(a.layers[l]) + 3 * f(b.layers[l])) / 7 }
            XCTAssertEqual(all.layers[l].correctProbability.estimate, mean { $0.correctProbability.estimate }, accuracy: 1e-12)
            XCTAssertEqual(all.layers[l].entropy, mean(\.entropy), accuracy: 1e-12)
            XCTAssertEqual(all.layers[l].meanCorrectRank, mean(\.meanCorrectRank), accuracy: 1e-12)
            for k in 0..<3 {
                XCTAssertEqual(all.layers[l].roleMass[k].estimate, mean { $0.roleMass[k].estimate }, accuracy: 1e-12)
                XCTAssertEqual(all.layers[l].roleInTopK[k], mean { $0.roleInTopK[k] }, accuracy: 1e-12)
            }
        }
        XCTAssertTrue(all.intervalMethod.hasPrefix("percentile bootstrap, 100 resamples, 95% interval"))
    }

    func testMismatchedSetsAndEmptyInputAreErrors() {
        XCTAssertThrowsError(try LensSummary.of([], sets: sets)) { XCTAssertEqual("\($0)", "lens: no prompts") }
        XCTAssertThrowsError(try LensSummary.of([result("C", "Python", seed: 0, positions: 2)], sets: Array(sets.prefix(2))))
    }

    func testTopTokensAverageOverPositions() {
        let r = result("C", "Python", seed: 0, positions: 2)
        // Layer 0 rows 0, 1: top (0, 3) and (1, 4), each 0.5 then 0.25: over two positions 0 → 0.25, 1 → 0.25, 3 → 0.125.
        let top = LensSummary.topTokens([r], layer: 0, count: 3)
        XCTAssertEqual(top.map(\.id), [0, 1, 3])
        XCTAssertEqual(top.map(\.probability), [0.25, 0.25, 0.125])
    }
}
