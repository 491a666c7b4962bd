import XCTest
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer
@testable import PolylensAnalysis

final class LogitLensTests: XCTestCase {
    /// W_U rows: t0 (1, 0), t1 (0, 1), t2 (1, 1), t3 (-1, 0).
    private let w: [Float] = [1, 0, 0, 1, 1, 1, -1, 0]

    private func softmax(_ z: [Double]) -> [Double] {
        let e = z.map { Foundation.exp($0) }, s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    func testOneStateWorkedByHand() throws {
        let u = try Unembedding(finalNorm: [1, 2], matrix: w, vocab: 4, dim: 2, eps: 0)
        // h = (3, 4): rms = √12.5; normed = (3/√12.5, 2 · 4/√12.5) = (.8485, 2.2627).
        let (a, b) = (3 / 12.5.squareRoot(), 8 / 12.5.squareRoot())
        let p = softmax([a, b, a + b, -a])
        let prompt = LensPrompt(source: "C", target: "Python", itemKey: "x", tokens: [1, 1], firstPosition: 0,
                                layers: 1, dim: 2, states: [3, 4])
        let sets = [TokenSet(name: "t0t3", ids: [3, 0]), TokenSet(name: "t1", ids: [1])]
        let x = try LogitLens.run([prompt], unembedding: u, sets: sets, topK: 2)[0].columns
        XCTAssertEqual(x.topIds, [2, 1])
        XCTAssertEqual(Double(x.topProbabilities[0]), p[2], accuracy: 1e-6)
        XCTAssertEqual(Double(x.correctProbability[0]), p[1], accuracy: 1e-6)
        XCTAssertEqual(x.correctRank, [2])
        XCTAssertEqual(Double(x.entropy[0]), -p.map { $0 * log($0) }.reduce(0, +), accuracy: 1e-6)
        XCTAssertEqual(Double(x.setMass[0]), p[0] + p[3], accuracy: 1e-6)
        XCTAssertEqual(Double(x.setMass[1]), p[1], accuracy: 1e-6)
        XCTAssertEqual(try LogitLens.run([prompt], unembedding: u, sets: sets, topK: 1)[0].columns.topIds, [2])
    }

    func testTiesAndZeroState() throws {
        let u = try Unembedding(finalNorm: [1, 1], matrix: w, vocab: 4, dim: 2, eps: 0)
        // Layer 0: h = (5, 5) → normed (1, 1) → logits (1, 1, 2, -1): t0 and t1 tie, the lower id ranks first;
        // the rank of t1 counts only strictly higher logits (t2), so it is 2 although t0 holds the second place.
        // Layer 1: h = 0 → zero logits (not NaN): uniform, entropy ln 4.
        let prompt = LensPrompt(source: "C", target: "Java", itemKey: "x", tokens: [1, 1], firstPosition: 0,
                                layers: 2, dim: 2, states: [5, 5, 0, 0])
        let r = try LogitLens.run([prompt], unembedding: u, sets: [], topK: 2)[0]
        XCTAssertEqual(Array(r.top(r.row(layer: 0, position: 0))), [2, 0])
        XCTAssertEqual(r.columns.correctRank[r.row(layer: 0, position: 0)], 2)
        let flat = r.row(layer: 1, position: 0)
        XCTAssertEqual(Array(r.top(flat)), [0, 1])
        XCTAssertEqual(r.columns.correctProbability[flat], 0.25, accuracy: 1e-7)
        XCTAssertEqual(r.columns.correctRank[flat], 1)
        XCTAssertEqual(Double(r.columns.entropy[flat]), log(4), accuracy: 1e-6)
    }

    /// Many rows (several sgemm blocks), two prompts, against a direct Float64 computation.
    func testAgreesWithDirectComputationAndAverages() throws {
        var rng = SplitMix64(seed: 11)
        func f() -> Float { Float(Int(rng.next() % 2001) - 1000) / 250 }
        let (vocab, dim, layers) = (37, 8, 5)
        let u = try Unembedding(finalNorm: (0..<dim).map { _ in f() }, matrix: (0..<(vocab * dim)).map { _ in f() },
                                vocab: vocab, dim: dim, eps: 1e-5)
        let prompts = [(tokens: 20, first: 3), (tokens: 6, first: 2)].map { t in
            LensPrompt(source: "C", target: "PHP", itemKey: "\(t.tokens)",
                       tokens: (0..<t.tokens).map { _ in Int32(rng.next() % UInt64(vocab)) }, firstPosition: t.first,
                       layers: layers, dim: dim, states: (0..<(layers * (t.tokens - 1 - t.first) * dim)).map { _ in f() })
        }
        let set = TokenSet(name: "odd", ids: (0..<Int32(vocab)).filter { $0 % 2 == 1 })
        let r = try LogitLens.run(prompts, unembedding: u, sets: [set], topK: 3)
        for (pi, p) in prompts.enumerated() {
            for l in 0..<layers {
                for pos in 0..<p.positions {
                    let h = (0..<dim).map { Double(p.states[(l * p.positions + pos) * dim + $0]) }
                    let rms = (h.map { $0 * $0 }.reduce(0, +) / Double(dim) + 1e-5).squareRoot()
                    let n = (0..<dim).map { h[$0] / rms * Double(u.finalNorm[$0]) }
                    let z = (0..<vocab).map { v in (0..<dim).map { n[$0] * Double(w(u, v, $0)) }.reduce(0, +) }
                    let q = softmax(z)
                    let next = Int(p.tokens[p.firstPosition + pos + 1])
                    let got = r[pi], row = got.row(layer: l, position: pos)
                    XCTAssertEqual(Double(got.columns.correctProbability[row]), q[next], accuracy: 1e-5)
                    XCTAssertEqual(Int(got.columns.correctRank[row]), 1 + z.filter { $0 > z[next] }.count)
                    XCTAssertEqual(got.top(row).map { Int($0) }, Array(q.indices.sorted { q[$0] > q[$1] }.prefix(3)))
                    XCTAssertEqual(Double(got.columns.setMass[row]), q.indices.filter { $0 % 2 == 1 }.map { q[$0] }.reduce(0, +), accuracy: 1e-5)
                }
            }
        }
    }

    private func w(_ u: Unembedding, _ v: Int, _ t: Int) -> Float { u.matrix[v * u.dim + t] }

    func testBadInputs() throws {
        XCTAssertThrowsError(try Unembedding(finalNorm: [1], matrix: w, vocab: 4, dim: 2, eps: 0)) {
            XCTAssertEqual("\($0)", "unembedding: 8 values and a final norm of 1 for vocab 4 × dim 2")
        }
        let u = try Unembedding(finalNorm: [1, 1], matrix: w, vocab: 4, dim: 2, eps: 0)
        let bad = LensPrompt(source: "C", target: "Java", itemKey: "7", tokens: [1, 9], firstPosition: 0, layers: 1, dim: 2, states: [1, 1])
        XCTAssertThrowsError(try LogitLens.run([bad], unembedding: u, sets: [], topK: 2)) {
            XCTAssertEqual("\($0)", "lens: prompt 7 has token id 9 outside the vocabulary of 4")
        }
        let short = LensPrompt(source: "C", target: "Java", itemKey: "7", tokens: [1, 2], firstPosition: 0, layers: 1, dim: 2, states: [1])
        XCTAssertThrowsError(try LogitLens.run([short], unembedding: u, sets: [], topK: 2))
        XCTAssertThrowsError(try LogitLens.run([], unembedding: u, sets: [], topK: 2))
        XCTAssertThrowsError(try LogitLens.run([short], unembedding: u, sets: [], topK: 5))
    }
}
