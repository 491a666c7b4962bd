import Foundation
import XCTest
import PolylensModel
import PolylensTokenizer
@testable import PolylensEngine

final class LensDecoderTests: XCTestCase {
    /// Rows split over several sgemm blocks (and threads) read exactly as in one block.
    func testBlocksAndThreadsDoNotChangeTheReading() throws {
        var rng = SplitMix64(seed: 5)
        func f() -> Float { Float(Int(rng.next() % 2001) - 1000) / 300 }
        let (vocab, dim, positions, layers) = (53, 6, 7, 4)
        let u = try Unembedding(finalNorm: (0..<dim).map { _ in f() }, matrix: (0..<(vocab * dim)).map { _ in f() },
                                vocab: vocab, dim: dim, eps: 1e-5)
        let states = (0..<(layers * positions * dim)).map { _ in f() }
        let next = (0..<positions).map { _ in Int32(rng.next() % UInt64(vocab)) }
        let sets = [TokenSet(name: "low", ids: Array(0..<10)), TokenSet(name: "odd", ids: (0..<Int32(vocab)).filter { $0 % 2 == 1 })]
        let one = states.withUnsafeBufferPointer {
            LensDecoder.decode($0, positions: positions, next: next, unembedding: u, sets: sets, topK: 4, threads: 1)
        }
        let blocks = states.withUnsafeBufferPointer {
            LensDecoder.decode($0, positions: positions, next: next, unembedding: u, sets: sets, topK: 4, threads: 3,
                               maxLogitFloats: 3 * vocab)
        }
        XCTAssertEqual(one.rows, layers * positions)
        XCTAssertTrue(one.isConsistent)
        // The same ids; floats within rounding (BLAS may sum a small block in another order).
        XCTAssertEqual(one.topIds, blocks.topIds)
        XCTAssertEqual(one.correctRank, blocks.correctRank)
        for (a, b) in zip(one.topProbabilities + one.correctProbability + one.entropy + one.setMass,
                          blocks.topProbabilities + blocks.correctProbability + blocks.entropy + blocks.setMass) {
            XCTAssertEqual(a, b, accuracy: 1e-6)
        }
        for r in 0..<one.rows {
            XCTAssertLessThanOrEqual(one.setMass[r * 2 + 1], 1.0001)
            XCTAssertGreaterThanOrEqual(one.topProbabilities[r * 4], one.topProbabilities[r * 4 + 3])
        }
    }

    /// The one-pass reading (16 logits at a time, blocks skipped unless one beats the k-th) against a full sort
    /// in Float64: the same top-k ids (ties to the lower id), ranks and counts, on vocabularies that are and are
    /// not multiples of 16, with many tied logits and a few large ones.
    func testReadingEqualsAFullSort() {
        var rng = SplitMix64(seed: 11)
        for vocab in [1, 15, 16, 17, 100, 4099] {
            for trial in 0..<6 {
                let k = min(vocab, [1, 3, 10][trial % 3])
                var z = (0..<vocab).map { _ in Float(Int(rng.next() % 41) - 20) / 4 }   // many ties
                if vocab > 20 { for _ in 0..<3 { z[Int(rng.next() % UInt64(vocab))] = Float(rng.next() % 50) } }
                let correct = Int(rng.next() % UInt64(vocab))
                let sets = [TokenSet(name: "even", ids: (0..<Int32(vocab)).filter { $0 % 2 == 0 })]
                let c = LensDecoder.Pointers(topIds: .allocate(capacity: k), topProbabilities: .allocate(capacity: k),
                                             correctProbability: .allocate(capacity: 1), correctRank: .allocate(capacity: 1),
                                             entropy: .allocate(capacity: 1), setMass: .allocate(capacity: 1))
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: vocab)
                defer {
                    for p in [c.topProbabilities, c.correctProbability, c.entropy, c.setMass, scratch] { p.deallocate() }
                    c.topIds.deallocate(); c.correctRank.deallocate()
                }
                z.withUnsafeBufferPointer {
                    LensDecoder.read($0, scratch: scratch, correct: correct, sets: sets, k: k, row: 0, into: c)
                }
                let topIds = Array(UnsafeBufferPointer(start: c.topIds, count: k))
                let topP = Array(UnsafeBufferPointer(start: c.topProbabilities, count: k))
                let (cp, cr, en, sm) = (c.correctProbability, c.correctRank, c.entropy, c.setMass)
                let order = z.indices.sorted { (z[$0], -$0) > (z[$1], -$1) }
                let m = Double(z[order[0]])
                let weights = z.map { Foundation.exp(Double($0) - m) }
                let total = weights.reduce(0, +)
                let label = "vocab \(vocab) trial \(trial)"
                XCTAssertEqual(topIds, order.prefix(k).map { Int32($0) }, label)
                for j in 0..<k { XCTAssertEqual(Double(topP[j]), weights[order[j]] / total, accuracy: 1e-6, label) }
                XCTAssertEqual(cr[0], Int32(1 + z.filter { $0 > z[correct] }.count), label)
                XCTAssertEqual(Double(cp[0]), weights[correct] / total, accuracy: 1e-6, label)
                let entropy = -weights.map { $0 / total }.filter { $0 > 0 }.map { $0 * Foundation.log($0) }.reduce(0, +)
                XCTAssertEqual(Double(en[0]), entropy, accuracy: 1e-5, label)
                XCTAssertEqual(Double(sm[0]), sets[0].ids.map { weights[Int($0)] }.reduce(0, +) / total, accuracy: 1e-6, label)
            }
        }
    }
}
