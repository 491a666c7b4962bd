import Foundation

/// Picks the next token from logits as llama2.c's sampler does: the first maximum at temperature 0,
/// otherwise a draw from softmax(logits / T) with llama2.c's xorshift generator, so a seed reproduces a run.
public struct Sampler: Sendable {
    public let temperature: Float
    private var state: UInt64

    public init(temperature: Float = 0, seed: UInt64 = 42) {
        self.temperature = temperature
        state = seed == 0 ? 1 : seed // xorshift never leaves 0
    }

    public mutating func sample(_ logits: [Float]) -> Int {
        guard !logits.isEmpty else { return 0 }
        if temperature <= 0 { return Self.argmax(logits) }
        var m = logits[0] / temperature
        for v in logits { m = max(m, v / temperature) }
        var probs = logits.map { Foundation.exp($0 / temperature - m) }
        let sum = probs.reduce(0, +)
        for i in probs.indices { probs[i] /= sum }
        let coin = nextFloat()
        var cdf: Float = 0
        for (i, p) in probs.enumerated() {
            cdf += p
            if coin < cdf { return i }
        }
        return probs.count - 1 // rounding
    }

    /// The first index of the largest value.
    public static func argmax(_ v: [Float]) -> Int {
        var best = 0
        for i in 1..<v.count where v[i] > v[best] { best = i }
        return best
    }

    /// llama2.c's `random_f32`: xorshift64*, top 24 bits.
    private mutating func nextFloat() -> Float {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        let u = UInt32(truncatingIfNeeded: (state &* 0x2545_F491_4F6C_DD1D) >> 32)
        return Float(u >> 8) / 16_777_216
    }
}
