import Foundation

/// A llama2.c checkpoint (legacy v0): seven int32 header fields, then f32 tensors in a fixed order.
/// A positive vocab_size means the classifier shares the embedding; a negative one means wcls follows.
public final class Llama2cCheckpoint: ModelWeights, @unchecked Sendable {
    public let config: LlamaConfig
    public let format = "llama2c"
    public var files: [URL] { [file.url] }
    private let file: MappedFile
    private var offsets: [LlamaTensor: (offset: Int, shape: [Int])] = [:]

    public convenience init(_ url: URL) throws { try self.init(try MappedFile(url)) }

    public init(_ file: MappedFile) throws {
        self.file = file
        let url = file.url
        let h = try Self.header(file)
        let (dim, hidden, layers, heads, kvHeads, seqLen) = (h[0], h[1], h[2], h[3], h[4], h[6])
        let shared = h[5] > 0
        let vocab = abs(h[5])
        guard Self.isPlausible(h) else {
            throw ModelFileError(url, "not a llama2.c checkpoint (implausible header \(h))")
        }
        config = LlamaConfig(dim: dim, hiddenDim: hidden, nLayers: layers, nHeads: heads, nKVHeads: kvHeads,
                             vocabSize: vocab, maxPositions: seqLen, ropeStyle: .interleaved, tiedEmbeddings: shared,
                             bosId: 1, eosId: 2)
        try config.checkLimits(url)
        let headSize = dim / heads
        let kvDim = kvHeads * headSize
        var off = 28
        func take(_ t: LlamaTensor, _ shape: [Int]) { offsets[t] = (off, shape); off += shape.reduce(1, *) * 4 }
        func perLayer(_ make: (Int) -> LlamaTensor, _ shape: [Int]) { for l in 0..<layers { take(make(l), shape) } }
        take(.tokenEmbedding, [vocab, dim])
        perLayer(LlamaTensor.attnNorm, [dim])
        perLayer(LlamaTensor.wq, [dim, dim])
        perLayer(LlamaTensor.wk, [kvDim, dim])
        perLayer(LlamaTensor.wv, [kvDim, dim])
        perLayer(LlamaTensor.wo, [dim, dim])
        perLayer(LlamaTensor.mlpNorm, [dim])
        perLayer(LlamaTensor.gate, [hidden, dim])
        perLayer(LlamaTensor.down, [dim, hidden])
        perLayer(LlamaTensor.up, [hidden, dim])
        take(.finalNorm, [dim])
        off += seqLen * headSize * 4 // freq_cis_real and freq_cis_imag, unused
        if !shared { take(.output, [vocab, dim]) }
        guard off <= file.count else {
            throw ModelFileError(url, "truncated: the header promises \(off) bytes of weights, the file has \(file.count)")
        }
        // The format has no shapes or magic; a size that the header does not account for means it was misread.
        guard off == file.count else {
            throw ModelFileError(url, "inconsistent: the header implies \(off) bytes, the file has \(file.count) (not a legacy llama2.c checkpoint?)")
        }
    }

    /// Whether the file starts with a header a real llama2.c checkpoint could have (the format has no magic).
    public static func looksLikeCheckpoint(_ file: MappedFile) -> Bool {
        (try? header(file)).map(isPlausible) ?? false
    }

    private static func header(_ file: MappedFile) throws -> [Int] {
        var r = ByteReader(file)
        return try ["dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"].map {
            Int(try r.read(Int32.self, "header field \($0)"))
        }
    }

    private static func isPlausible(_ h: [Int]) -> Bool {
        let (dim, hidden, layers, heads, kvHeads, vocab, seqLen) = (h[0], h[1], h[2], h[3], h[4], abs(h[5]), h[6])
        return dim > 0 && hidden > 0 && layers > 0 && heads > 0 && kvHeads > 0 && vocab > 0 && seqLen > 0
            && dim % heads == 0 && heads % kvHeads == 0 && dim <= 1 << 16 && hidden <= 1 << 18 && layers <= 1024
    }

    public func tensor(_ t: LlamaTensor) throws -> TensorView {
        let key = (t == .output && config.tiedEmbeddings) ? .tokenEmbedding : t
        guard let (offset, shape) = offsets[key] else { throw ModelFileError(file.url, "missing tensor \(t)") }
        let data = try file.slice(offset, shape.reduce(1, *) * 4, what: "\(t)")
        return TensorView(name: "\(t)", dtype: .f32, shape: shape, data: data)
    }
}
