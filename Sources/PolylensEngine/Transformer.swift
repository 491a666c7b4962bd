import Foundation
import PolylensModel

/// Which logits a forward pass returns. Computing them costs 2 · dim · vocab per row, so only the rows asked for are computed.
public enum LogitsWanted: Sendable {
    /// No logits (the unembedding is skipped unless a tap wants it).
    case none
    /// The logits of the last position: `vocab` floats.
    case last
    /// The logits of every position: `tokens × vocab` floats, row-major.
    case all
}

/// A Llama forward pass in the spirit of llama2.c's run.c, batched: a chunk of T tokens goes through each
/// matrix as one `[T × in] · [out × in]ᵀ` SGEMM. Keys and values stay in a cache, so a sequence can be
/// continued chunk by chunk or token by token (generation).
///
/// Per layer: RMSNorm → q, k, v → RoPE → causal grouped-query attention → o → residual;
/// RMSNorm → a = SiLU(gate · x) → (ablation pins a: zero or a value) → a ⊙ (up · x) → down → residual.
///
/// Taps deliver values per chunk, in sequence order: `.embed`, then per layer `.mlpAct(l)` (a after any
/// ablation: what the rest of the model sees; record an unablated run for LAPE counts) and
/// `.residPost(l)`, then `.finalNorm` and `.logits` (all positions of the chunk).
///
/// Not thread-safe: one forward pass at a time per instance. OpenBLAS's thread count is process-wide;
/// each call sets it to `threads`.
public final class Transformer {
    public let config: LlamaConfig
    /// Threads for OpenBLAS and for the engine's own row loops (which never run beside a BLAS call).
    public let threads: Int
    /// Longer inputs are processed in chunks of this many tokens, so memory stays bounded.
    public let chunkSize: Int
    /// Positions whose keys and values are in the cache: the next `forward` may start at any position up to this.
    public private(set) var cachedPositions = 0

    private let weights: LayerWeights
    private let rope: RotaryEmbedding
    private let loop: RowLoop
    private var keys: [FloatBuffer]
    private var values: [FloatBuffer]
    private var cacheCapacity = 0
    private let x, xn, q, att, gate, up, scores, logitsBuffer: FloatBuffer
    /// Query rows per attention block.
    static let attentionBlock = 128

    /// `threads`: default all cores. `chunkSize`: tokens computed at once (at least 1).
    public convenience init(_ weights: ModelWeights, threads: Int? = nil, chunkSize: Int = 512) throws {
        try self.init(weights, threads: threads, chunkSize: chunkSize, residentLimit: LayerWeights.residentLimit)
    }

    /// `residentLimit`: converted weights up to this many bytes are converted once and kept (tests lower it).
    init(_ weights: ModelWeights, threads: Int?, chunkSize: Int, residentLimit: Int) throws {
        let threads = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        guard chunkSize >= 1 else { throw EngineError("chunk size must be at least 1, got \(chunkSize)") }
        self.threads = threads
        self.chunkSize = chunkSize
        loop = RowLoop(threads: threads)
        BLAS.setThreads(threads)
        self.weights = try LayerWeights(weights, loop: loop, residentLimit: residentLimit)
        let c = weights.config
        config = c
        rope = RotaryEmbedding(c)
        keys = (0..<c.nLayers).map { _ in FloatBuffer(0) }
        values = (0..<c.nLayers).map { _ in FloatBuffer(0) }
        x = FloatBuffer(chunkSize * c.dim)
        xn = FloatBuffer(chunkSize * c.dim)
        q = FloatBuffer(chunkSize * c.qDim)
        att = FloatBuffer(chunkSize * c.qDim)
        gate = FloatBuffer(chunkSize * c.hiddenDim)
        up = FloatBuffer(chunkSize * c.hiddenDim)
        scores = FloatBuffer(0)
        logitsBuffer = FloatBuffer(0)
    }

    /// Forgets the cached sequence.
    public func reset() { cachedPositions = 0 }

    /// Runs `tokens` at positions `startPosition…` (≤ `cachedPositions`; the cache after it is overwritten)
    /// and returns the logits asked for. Taps receive their values chunk by chunk.
    public func forward(_ tokens: [Int], startPosition: Int = 0, taps: TapConsumer? = nil,
                        ablation: NeuronAblation? = nil, logits: LogitsWanted = .none) throws -> [Float] {
        let silenced = try prepare(tokens, startPosition: startPosition, taps: taps, ablation: ablation)
        var result: [Float] = []
        if logits == .all { result.reserveCapacity(tokens.count * config.vocabSize) }
        var i = 0
        while i < tokens.count {
            let n = min(chunkSize, tokens.count - i)
            let from: Int? = switch logits {
            case .none: nil
            case .last: i + n == tokens.count ? n - 1 : nil
            case .all: 0
            }
            try chunk(tokens[i..<(i + n)], at: startPosition + i, logitsFrom: from, taps: taps, silenced: silenced) {
                result.append(contentsOf: $0)
            }
            i += n
        }
        return result
    }

    /// Negative log-likelihood (natural log) of each token `tokens[firstTarget...]` given all tokens before it,
    /// as a fresh sequence from position 0. Full-vocabulary logits are held for one chunk at a time.
    public func negativeLogLikelihoods(_ tokens: [Int], firstTarget: Int = 1,
                                       ablation: NeuronAblation? = nil) throws -> [Double] {
        guard firstTarget >= 1, firstTarget < tokens.count else {
            throw EngineError("first scored token \(firstTarget) is outside 1..<\(tokens.count)")
        }
        reset()
        let silenced = try prepare(tokens, startPosition: 0, taps: nil, ablation: ablation)
        var nll = [Double](repeating: 0, count: tokens.count - firstTarget)
        let vocab = config.vocabSize
        var i = 0
        while i < tokens.count {
            let n = min(chunkSize, tokens.count - i)
            // Row r of this chunk predicts token i + r + 1.
            let lo = max(0, firstTarget - 1 - i), hi = min(n, tokens.count - 1 - i)
            try chunk(tokens[i..<(i + n)], at: i, logitsFrom: lo < hi ? lo : nil, taps: nil, silenced: silenced) { rows in
                nll.withUnsafeMutableBufferPointer { out in
                    loop(hi - lo, work: (hi - lo) * vocab * 8) { range in
                        for r in range {
                            let target = tokens[i + lo + r + 1]
                            out[i + lo + r + 1 - firstTarget] = Self.negativeLogLikelihood(
                                rows.baseAddress! + r * vocab, count: vocab, target: target)
                        }
                    }
                }
            }
            i += n
        }
        return nll
    }

    /// −log softmax(logits)[target], accumulated in double as llama.cpp's perplexity does.
    static func negativeLogLikelihood(_ logits: UnsafePointer<Float>, count: Int, target: Int) -> Double {
        var m = logits[0]
        for j in 1..<count where logits[j] > m { m = logits[j] }
        var sum = 0.0
        for j in 0..<count { sum += Double(Foundation.exp(logits[j] - m)) }
        return Foundation.log(sum) - Double(logits[target] - m)
    }

    // MARK: - One chunk

    /// Checks the request and returns, per layer, the neurons to pin and their values.
    private func prepare(_ tokens: [Int], startPosition: Int, taps: TapConsumer?,
                         ablation: NeuronAblation?) throws -> [[(neuron: Int, value: Float)]] {
        let c = config
        guard !tokens.isEmpty else { throw EngineError("no tokens to run") }
        guard startPosition >= 0, startPosition <= cachedPositions else {
            throw EngineError("start position \(startPosition) is past the \(cachedPositions) cached positions")
        }
        if let bad = tokens.first(where: { $0 < 0 || $0 >= c.vocabSize }) {
            throw EngineError("token id \(bad) is outside the vocabulary of \(c.vocabSize)")
        }
        for tap in taps?.taps ?? [] {
            switch tap {
            case .residPost(let l), .mlpAct(let l):
                guard l >= 0, l < c.nLayers else { throw EngineError("tap \(tap) names a layer outside 0..<\(c.nLayers)") }
            default: break
            }
        }
        var silenced = [[(neuron: Int, value: Float)]](repeating: [], count: c.nLayers)
        for (l, ns) in ablation?.neurons ?? [:] {
            guard l >= 0, l < c.nLayers else { throw EngineError("ablation names layer \(l), outside 0..<\(c.nLayers)") }
            if let bad = ns.first(where: { $0 < 0 || $0 >= c.hiddenDim }) {
                throw EngineError("ablation names neuron \(bad) of layer \(l), outside 0..<\(c.hiddenDim)")
            }
            let values = ablation?.values[l] ?? [Float](repeating: 0, count: ns.count)
            guard values.count == ns.count else {
                throw EngineError("ablation gives \(values.count) values for the \(ns.count) neurons of layer \(l)")
            }
            if let bad = values.first(where: { !$0.isFinite }) {
                throw EngineError("ablation sets a neuron of layer \(l) to \(bad), not a finite value")
            }
            silenced[l] = Array(zip(ns, values)).map { (neuron: $0.0, value: $0.1) }
        }
        BLAS.setThreads(threads)
        return silenced
    }

    /// Makes the cache hold `positions` positions, keeping the first `keep`. It grows as a sequence does,
    /// so a model's nominal context (128k for Llama 3.1) costs nothing until used; positions past it are
    /// allowed, as in llama.cpp (RoPE is defined for any position).
    private func reserveCache(_ positions: Int, keep: Int) {
        guard positions > cacheCapacity else { return }
        let capacity = max(positions, 2 * cacheCapacity)
        for b in keys + values { b.reserve(capacity * config.kvDim, keep: keep * config.kvDim) }
        cacheCapacity = capacity
    }

    /// Runs `tokens` (at most `chunkSize`) at positions `start…` through every layer. When `logitsFrom` is set,
    /// `emit` receives the logits of rows `logitsFrom..<n`.
    private func chunk(_ tokens: ArraySlice<Int>, at start: Int, logitsFrom: Int?, taps: TapConsumer?,
                       silenced: [[(neuron: Int, value: Float)]], emit: (UnsafeBufferPointer<Float>) -> Void) throws {
        let c = config, n = tokens.count, dim = c.dim, hd = c.headDim, qDim = c.qDim, kvDim = c.kvDim
        let hidden = c.hiddenDim, positions = start + n
        let wanted = taps?.taps ?? []
        func tap(_ point: TapPoint, _ p: UnsafeMutablePointer<Float>, rows: Int = n, width: Int, from: Int = 0) {
            guard wanted.contains(point), let taps else { return }
            taps.receive(point, values: UnsafeBufferPointer(start: p + from * width, count: rows * width),
                         rows: rows, width: width, firstPosition: start + from)
        }
        reserveCache(positions, keep: start)
        scores.reserve(min(n, Self.attentionBlock) * positions)
        let x = x.pointer, xn = xn.pointer, q = q.pointer, att = att.pointer
        let gate = gate.pointer, up = up.pointer, scores = scores.pointer

        for (r, token) in tokens.enumerated() { weights.embed(token, into: x + r * dim) }
        tap(.embed, x, width: dim)

        let (cosTable, sinTable) = rope.table(first: start, count: n)
        let group = c.nHeads / c.nKVHeads
        let scale = 1 / Float(hd).squareRoot()
        for l in 0..<c.nLayers {
            let w = weights.layer(l)
            let k = keys[l].pointer + start * kvDim, v = values[l].pointer + start * kvDim

            // Attention: q, k, v from the normalised residual; k and v go straight into the cache.
            rmsNorm(xn, x, w.attnNorm, rows: n)
            BLAS.timesTransposed(xn, ldx: dim, w.wq, ldw: dim, q, ldy: qDim, m: n, n: qDim, k: dim)
            BLAS.timesTransposed(xn, ldx: dim, w.wk, ldw: dim, k, ldy: kvDim, m: n, n: kvDim, k: dim)
            BLAS.timesTransposed(xn, ldx: dim, w.wv, ldw: dim, v, ldy: kvDim, m: n, n: kvDim, k: dim)
            cosTable.withUnsafeBufferPointer { cs in
                sinTable.withUnsafeBufferPointer { sn in
                    loop(n, work: n * (qDim + kvDim) * 3) { rows in
                        rope.rotate(q, rows: rows, stride: qDim, heads: c.nHeads, cos: cs.baseAddress!, sin: sn.baseAddress!)
                        rope.rotate(k, rows: rows, stride: kvDim, heads: c.nKVHeads, cos: cs.baseAddress!, sin: sn.baseAddress!)
                    }
                }
            }
            // Query rows go in blocks so that each block reads only the keys it may see (causal mask).
            for h in 0..<c.nHeads {
                let kv = (h / group) * hd // head h reads key/value head h / group (grouped-query attention)
                for r0 in stride(from: 0, to: n, by: Self.attentionBlock) {
                    let rows = min(Self.attentionBlock, n - r0), visible = start + r0 + rows
                    BLAS.timesTransposed(q + (r0 * qDim + h * hd), ldx: qDim, keys[l].pointer + kv, ldw: kvDim,
                                         scores, ldy: visible, m: rows, n: visible, k: hd, alpha: scale)
                    loop(rows, work: rows * visible * 8) { range in
                        for r in range { causalSoftmax(scores + r * visible, visible: start + r0 + r + 1, count: visible) }
                    }
                    BLAS.times(scores, lda: visible, values[l].pointer + kv, ldb: kvDim, att + (r0 * qDim + h * hd),
                               ldy: qDim, m: rows, n: hd, k: visible)
                }
            }
            BLAS.timesTransposed(att, ldx: qDim, w.wo, ldw: qDim, xn, ldy: dim, m: n, n: dim, k: qDim)
            add(xn, into: x, count: n * dim)

            // SwiGLU MLP.
            rmsNorm(xn, x, w.mlpNorm, rows: n)
            BLAS.timesTransposed(xn, ldx: dim, w.gate, ldw: dim, gate, ldy: hidden, m: n, n: hidden, k: dim)
            BLAS.timesTransposed(xn, ldx: dim, w.up, ldw: dim, up, ldy: hidden, m: n, n: hidden, k: dim)
            loop(n, work: n * hidden * 8) { rows in
                FastMath.silu(gate + rows.lowerBound * hidden, count: rows.count * hidden)
            }
            for (neuron, value) in silenced[l] { for r in 0..<n { gate[r * hidden + neuron] = value } }
            tap(.mlpAct(l), gate, width: hidden)
            loop(n, work: n * hidden) { rows in
                let a = gate + rows.lowerBound * hidden, b = up + rows.lowerBound * hidden
                for i in 0..<(rows.count * hidden) { a[i] *= b[i] }
            }
            BLAS.timesTransposed(gate, ldx: hidden, w.down, ldw: hidden, xn, ldy: dim, m: n, n: dim, k: hidden)
            add(xn, into: x, count: n * dim)
            tap(.residPost(l), x, width: dim)
        }
        cachedPositions = positions

        // Final norm and unembedding, only for the rows someone needs.
        let tapsLogits = wanted.contains(.logits)
        var first = n
        if wanted.contains(.finalNorm) || tapsLogits { first = 0 } else if let f = logitsFrom { first = f }
        guard first < n else { return }
        rmsNorm(xn + first * dim, x + first * dim, weights.finalNorm, rows: n - first)
        tap(.finalNorm, xn, width: dim)
        guard tapsLogits || logitsFrom != nil else { return }
        let from = tapsLogits ? 0 : first, rows = n - from, vocab = c.vocabSize
        logitsBuffer.reserve(rows * vocab)
        let logits = logitsBuffer.pointer
        weights.forEachOutputBlock { firstRow, count, w in
            BLAS.timesTransposed(xn + from * dim, ldx: dim, w, ldw: dim, logits + firstRow, ldy: vocab,
                                 m: rows, n: count, k: dim)
        }
        tap(.logits, logits, rows: rows, width: vocab)
        if let f = logitsFrom {
            emit(UnsafeBufferPointer(start: logits + (f - from) * vocab, count: (n - f) * vocab))
        }
    }

    // MARK: - Elementwise steps

    /// out = x / sqrt(mean(x²) + eps) ⊙ weight, row by row (as llama2.c, in float).
    private func rmsNorm(_ out: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>,
                         _ weight: UnsafePointer<Float>, rows: Int) {
        let dim = config.dim, eps = config.normEps
        loop(rows, work: rows * dim * 3) { range in
            for r in range {
                let xi = x + r * dim, o = out + r * dim
                var ss: Float = 0
                for j in 0..<dim { ss += xi[j] * xi[j] }
                let inv = 1 / (ss / Float(dim) + eps).squareRoot()
                for j in 0..<dim { o[j] = weight[j] * (inv * xi[j]) }
            }
        }
    }

    /// Softmax over the first `visible` scores of a row; the rest (future positions) get weight 0.
    private func causalSoftmax(_ s: UnsafeMutablePointer<Float>, visible: Int, count: Int) {
        var m = s[0]
        for j in 1..<visible where s[j] > m { m = s[j] }
        let inv = 1 / FastMath.expShifted(s, count: visible, shift: m)
        for j in 0..<visible { s[j] *= inv }
        for j in visible..<count { s[j] = 0 }
    }

    private func add(_ a: UnsafeMutablePointer<Float>, into x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += a[i] }
    }
}
