import XCTest
import PolylensModel
@testable import PolylensEngine

/// Records the shape and a checksum of every tapped value.
final class RecordingConsumer: TapConsumer {
    let taps: Set<TapPoint>
    var shapes: [TapPoint: [(rows: Int, width: Int, first: Int)]] = [:]
    var values: [TapPoint: [Float]] = [:]
    init(_ taps: Set<TapPoint>) { self.taps = taps }
    func receive(_ tap: TapPoint, values v: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int) {
        shapes[tap, default: []].append((rows, width, firstPosition))
        values[tap, default: []].append(contentsOf: v)
    }
}

final class TransformerTests: XCTestCase {
    /// A fixed pseudo-random sequence of stories260K ids (BOS first).
    static let tokens: [Int] = [1] + (1..<300).map { ($0 * 7919 + 13) % 509 + 3 }

    func model(chunkSize: Int = 512) throws -> Transformer {
        try Transformer(try Llama2cCheckpoint(Models.stories260K), threads: 2, chunkSize: chunkSize)
    }

    func testChunkedForwardEqualsOneShot() throws {
        let whole = try model().forward(Self.tokens, logits: .all)
        for chunk in [1, 37, 128] {
            let chunked = try model(chunkSize: chunk).forward(Self.tokens, logits: .all)
            XCTAssertEqual(chunked.count, Self.tokens.count * 512)
            XCTAssertLessThan(maxRelativeDifference(chunked, whole), 1e-4, "chunk \(chunk)")
        }
    }

    func testPrefillLogitsEqualTokenByTokenGeneration() throws {
        let prefill = try model().forward(Array(Self.tokens.prefix(64)), logits: .all)
        let m = try model()
        for (t, token) in Self.tokens.prefix(64).enumerated() {
            let step = try m.forward([token], startPosition: t, logits: .last)
            let row = Array(prefill[(t * 512)..<((t + 1) * 512)])
            XCTAssertLessThan(maxRelativeDifference(step, row), 1e-4, "position \(t)")
        }
        XCTAssertEqual(m.cachedPositions, 64)
    }

    func testContinuingFromAnEarlierPositionOverwritesTheCache() throws {
        let m = try model()
        _ = try m.forward(Array(Self.tokens.prefix(50)))
        let rewound = try m.forward(Array(Self.tokens[20..<40]), startPosition: 20, logits: .last)
        let fresh = try model().forward(Array(Self.tokens.prefix(40)), logits: .last)
        XCTAssertLessThan(maxRelativeDifference(rewound, fresh), 1e-5)
        XCTAssertEqual(m.cachedPositions, 40)
    }

    func testLogitsWanted() throws {
        let m = try model()
        XCTAssertEqual(try m.forward(Self.tokens, logits: .none), [])
        let last = try m.forward(Self.tokens, logits: .last)
        let all = try m.forward(Self.tokens, logits: .all)
        XCTAssertEqual(last.count, 512)
        XCTAssertLessThan(maxRelativeDifference(last, Array(all.suffix(512))), 1e-5)
    }

    func testTapsDeliverDocumentedShapesPerChunk() throws {
        let ckpt = try Llama2cCheckpoint(Models.stories260K)
        let c = ckpt.config
        let points: Set<TapPoint> = [.embed, .residPost(0), .residPost(4), .mlpAct(2), .finalNorm, .logits]
        let consumer = RecordingConsumer(points)
        _ = try model(chunkSize: 128).forward(Self.tokens, taps: consumer)
        let widths: [TapPoint: Int] = [.embed: c.dim, .residPost(0): c.dim, .residPost(4): c.dim,
                                       .mlpAct(2): c.hiddenDim, .finalNorm: c.dim, .logits: c.vocabSize]
        for p in points {
            let got = try XCTUnwrap(consumer.shapes[p], "\(p)")
            XCTAssertEqual(got.map(\.rows), [128, 128, 44], "\(p)")
            XCTAssertEqual(got.map(\.first), [0, 128, 256], "\(p)")
            XCTAssertTrue(got.allSatisfy { $0.width == widths[p] }, "\(p)")
        }
        // The logits tap carries the same numbers forward returns.
        let all = try model().forward(Self.tokens, logits: .all)
        XCTAssertLessThan(maxRelativeDifference(consumer.values[.logits]!, all), 1e-4)
        // The last layer's residual, normalised, is the final norm tap.
        let resid = consumer.values[.residPost(4)]!, normed = consumer.values[.finalNorm]!
        let w = try ckpt.tensor(.finalNorm).floats()
        let row = Array(resid[0..<c.dim])
        let inv = 1 / (row.map { $0 * $0 }.reduce(0, +) / Float(c.dim) + 1e-5).squareRoot()
        XCTAssertEqual(normed[5], w[5] * inv * row[5], accuracy: 1e-5)
    }

    /// At position 0 attention is the identity on v, so layer 0's a = SiLU(gate · x) can be recomputed by hand.
    func testMLPActAtPositionZeroRecomputedByHand() throws {
        let w = try Llama2cCheckpoint(Models.stories260K)
        let c = w.config
        func matvec(_ t: LlamaTensor, _ x: [Float]) throws -> [Float] {
            let m = try w.tensor(t).floats(), cols = x.count
            return (0..<(m.count / cols)).map { r in (0..<cols).reduce(Float(0)) { $0 + m[r * cols + $1] * x[$1] } }
        }
        func norm(_ x: [Float], _ t: LlamaTensor) throws -> [Float] {
            let g = try w.tensor(t).floats()
            let inv = 1 / (x.map { $0 * $0 }.reduce(0, +) / Float(x.count) + 1e-5).squareRoot()
            return x.indices.map { g[$0] * inv * x[$0] }
        }
        let emb = try w.tensor(.tokenEmbedding).floats()
        let x = Array(emb[(1 * c.dim)..<(2 * c.dim)])
        let v = try matvec(.wv(0), try norm(x, .attnNorm(0)))
        let group = c.nHeads / c.nKVHeads
        let att = (0..<c.qDim).map { i in v[(i / c.headDim / group) * c.headDim + i % c.headDim] }
        let o = try matvec(.wo(0), att)
        let mid = x.indices.map { x[$0] + o[$0] }
        let gate = try matvec(.gate(0), try norm(mid, .mlpNorm(0)))
        let expected = gate.map { $0 / (1 + exp(-$0)) }

        let consumer = RecordingConsumer([.mlpAct(0)])
        _ = try model().forward([1, 5, 9], taps: consumer)
        let got = Array(consumer.values[.mlpAct(0)]!.prefix(c.hiddenDim))
        XCTAssertLessThan(maxRelativeDifference(got, expected), 1e-5)
    }

    func testAblation() throws {
        let m = try model()
        let plain = try m.forward(Self.tokens, logits: .all)
        let none = try m.forward(Self.tokens, ablation: NeuronAblation(neurons: [2: []]), logits: .all)
        XCTAssertEqual(plain, none, "ablating no neuron changes nothing")
        let hidden = m.config.hiddenDim
        let all = try m.forward(Self.tokens, ablation: NeuronAblation(neurons: [2: Array(0..<hidden)]), logits: .all)
        XCTAssertGreaterThan(maxRelativeDifference(all, plain), 0.1)
        // The tapped activation of an ablated neuron is zero; others are not all zero.
        let consumer = RecordingConsumer([.mlpAct(2)])
        _ = try m.forward(Self.tokens, taps: consumer, ablation: NeuronAblation(neurons: [2: [5, 17]]))
        let a = consumer.values[.mlpAct(2)]!
        XCTAssertTrue(stride(from: 0, to: a.count, by: hidden).allSatisfy { a[$0 + 5] == 0 && a[$0 + 17] == 0 })
        XCTAssertTrue(stride(from: 0, to: a.count, by: hidden).contains { a[$0 + 6] != 0 })
        // Ablating layer 2 leaves layers 0 and 1 unchanged.
        let before = RecordingConsumer([.residPost(1)]), after = RecordingConsumer([.residPost(1)])
        _ = try m.forward(Self.tokens, taps: before)
        _ = try m.forward(Self.tokens, taps: after, ablation: NeuronAblation(neurons: [2: Array(0..<hidden)]))
        XCTAssertEqual(before.values[.residPost(1)], after.values[.residPost(1)])
    }

    /// Pinning neurons to values (`ablate --set-to`), on polycode: at position 0 attention is the identity on v in
    /// every layer, so the whole forward pass with pinned neurons in several layers can be recomputed by hand.
    func testPinnedNeuronsEqualADirectComputationOnPolycode() throws {
        let w = try ModelLoader.load(Models.polycode)
        let c = w.config
        let pins: [Int: [Int]] = [0: [3, 200], 2: [17, 487, 511], 3: [85]]
        let values: [Int: [Float]] = [0: [0.75, -0.125], 2: [2.5, 0.0, 1.25], 3: [4.0]]
        func matvec(_ t: LlamaTensor, _ x: [Float]) throws -> [Float] {
            let m = try w.tensor(t).floats(), cols = x.count
            return (0..<(m.count / cols)).map { r in
                (0..<cols).reduce(Double(0)) { $0 + Double(m[r * cols + $1]) * Double(x[$1]) }
            }.map { Float($0) }
        }
        func norm(_ x: [Float], _ t: LlamaTensor) throws -> [Float] {
            let g = try w.tensor(t).floats()
            let inv = 1 / (x.map { Double($0) * Double($0) }.reduce(0, +) / Double(x.count) + Double(c.normEps)).squareRoot()
            return x.indices.map { g[$0] * Float(inv * Double(x[$0])) }
        }
        let token = 1234
        var x = Array(try w.tensor(.tokenEmbedding).floats()[(token * c.dim)..<((token + 1) * c.dim)])
        let group = c.nHeads / c.nKVHeads
        for l in 0..<c.nLayers {
            let v = try matvec(.wv(l), try norm(x, .attnNorm(l)))
            let att = (0..<c.qDim).map { i in v[(i / c.headDim / group) * c.headDim + i % c.headDim] }
            let o = try matvec(.wo(l), att)
            x = x.indices.map { x[$0] + o[$0] }
            let xn = try norm(x, .mlpNorm(l))
            var a = try matvec(.gate(l), xn).map { $0 / (1 + exp(-$0)) }
            for (n, value) in zip(pins[l] ?? [], values[l] ?? []) { a[n] = value }
            let u = try matvec(.up(l), xn)
            let down = try matvec(.down(l), a.indices.map { a[$0] * u[$0] })
            x = x.indices.map { x[$0] + down[$0] }
        }
        let expected = try matvec(c.tiedEmbeddings ? .tokenEmbedding : .output, try norm(x, .finalNorm))

        let m = try Transformer(w, threads: 2)
        let pinned = try m.forward([token], ablation: NeuronAblation(neurons: pins, values: values), logits: .last)
        XCTAssertLessThan(maxRelativeDifference(pinned, expected), 1e-4)
        let zeroed = try m.forward([token], ablation: NeuronAblation(neurons: pins), logits: .last)
        XCTAssertGreaterThan(maxRelativeDifference(zeroed, expected), 1e-3, "the values, not zero, were applied")
        // Every position of a longer sequence sees the pinned values.
        let consumer = RecordingConsumer([.mlpAct(2)])
        _ = try m.forward([1, token, 99, 1000, 7], taps: consumer, ablation: NeuronAblation(neurons: pins, values: values))
        let a2 = consumer.values[.mlpAct(2)]!
        for r in 0..<5 { XCTAssertEqual([17, 487, 511].map { a2[r * c.hiddenDim + $0] }, values[2]!) }
        XCTAssertThrowsError(try m.forward([1], ablation: NeuronAblation(neurons: [0: [1, 2]], values: [0: [1]])))
        XCTAssertThrowsError(try m.forward([1], ablation: NeuronAblation(neurons: [0: [1]], values: [0: [.nan]])))
    }

    func testNegativeLogLikelihoodsMatchLogSoftmaxOfLogits() throws {
        let m = try model(chunkSize: 100)
        let nll = try m.negativeLogLikelihoods(Self.tokens)
        XCTAssertEqual(nll.count, Self.tokens.count - 1)
        let logits = try model().forward(Self.tokens, logits: .all)
        for t in [0, 99, 100, 250, Self.tokens.count - 2] {
            let row = logits[(t * 512)..<((t + 1) * 512)].map(Double.init)
            let m = row.max()!
            let expected = log(row.map { exp($0 - m) }.reduce(0, +)) + m - row[Self.tokens[t + 1]]
            XCTAssertEqual(nll[t], expected, accuracy: 1e-4 * max(1, expected))
        }
        let tail = try m.negativeLogLikelihoods(Self.tokens, firstTarget: 150)
        XCTAssertEqual(tail.count, Self.tokens.count - 150)
        // The tail runs the same positions through SGEMMs of other row counts; OpenBLAS blocks them differently,
        // so float32 sums may differ in the last bits (seen: 4e-9 relative on an AMD EPYC with the Haswell kernels).
        for (a, b) in zip(tail, nll.suffix(tail.count)) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, b)) }
    }

    func testHalvesRoPEOnPermutedWeightsGivesTheSameLogits() throws {
        let base = try Llama2cCheckpoint(Models.stories260K)
        let hf = try RelaidWeights(base, halves: true, dtype: .f32)
        let a = try Transformer(base, threads: 1).forward(Self.tokens, logits: .all)
        let b = try Transformer(hf, threads: 1).forward(Self.tokens, logits: .all)
        XCTAssertLessThan(maxRelativeDifference(b, a), 1e-4)
    }

    func testConvertedWeightsPerLayerEqualResidentConversion() throws {
        let base = try Llama2cCheckpoint(Models.stories260K)
        for dtype in [DType.bf16, .f16] {
            let w = try RelaidWeights(base, halves: false, dtype: dtype)
            let resident = try Transformer(w, threads: 2).forward(Self.tokens, logits: .all)
            let perLayer = try Transformer(w, threads: 2, chunkSize: 64, residentLimit: 0).forward(Self.tokens, logits: .all)
            XCTAssertLessThan(maxRelativeDifference(perLayer, resident), 1e-4, "\(dtype)")
            let f32 = try Transformer(base, threads: 2).forward(Self.tokens, logits: .all)
            // Rounding the weights moves the logits a little (stories260K's logits span about ±15).
            let worst = zip(resident, f32).map { abs($0 - $1) }.max()!
            print("stories260K \(dtype) weights: largest logit difference from f32 \(worst)")
            XCTAssertLessThan(worst, dtype == .bf16 ? 0.5 : 0.05, "\(dtype) stays close to f32")
        }
    }

    func testOneAndTwoThreadsAgree() throws {
        let a = try Transformer(try Llama2cCheckpoint(Models.stories260K), threads: 1).forward(Self.tokens, logits: .all)
        let b = try model().forward(Self.tokens, logits: .all)
        XCTAssertLessThan(maxRelativeDifference(a, b), 1e-4)
    }

    func testBadRequestsThrow() throws {
        let m = try model()
        XCTAssertThrowsError(try m.forward([1, 512])) { XCTAssertTrue("\($0)".contains("token id 512")) }
        XCTAssertThrowsError(try m.forward([1, -1]))
        XCTAssertThrowsError(try m.forward([]))
        XCTAssertThrowsError(try m.forward([1, 2], startPosition: 5)) { XCTAssertTrue("\($0)".contains("cached")) }
        XCTAssertThrowsError(try m.forward([1], ablation: NeuronAblation(neurons: [5: [0]])))
        XCTAssertThrowsError(try m.forward([1], ablation: NeuronAblation(neurons: [0: [172]])))
        XCTAssertThrowsError(try m.forward([1], taps: RecordingConsumer([.mlpAct(9)])))
        XCTAssertThrowsError(try m.negativeLogLikelihoods([1]))
    }

    func testShapeMismatchIsAnErrorNamingTheTensor() throws {
        var c = try Llama2cCheckpoint(Models.stories260K).config
        c.hiddenDim = 100
        let w = MislabeledWeights(try Llama2cCheckpoint(Models.stories260K), config: c)
        XCTAssertThrowsError(try Transformer(w)) {
            XCTAssertTrue("\($0)".contains("gate_proj"), "\($0)")
            XCTAssertTrue("\($0)".contains("stories260K.bin"), "\($0)")
        }
    }
}

/// A checkpoint whose config disagrees with its tensors.
final class MislabeledWeights: ModelWeights, @unchecked Sendable {
    let config: LlamaConfig
    let format = "llama2c"
    let base: ModelWeights
    var files: [URL] { base.files }
    init(_ base: ModelWeights, config: LlamaConfig) { self.base = base; self.config = config }
    func tensor(_ t: LlamaTensor) throws -> TensorView { try base.tensor(t) }
}
