import Foundation
import PolylensTokenizer

/// The outcome of a perplexity run, with the figures llama.cpp's llama-perplexity prints.
public struct PerplexityResult: Sendable, Equatable, Codable {
    /// exp(mean NLL) over all scored tokens.
    public var perplexity: Double
    /// Standard error of the perplexity: ppl · sqrt(var(NLL) / (scored − 1)), as llama.cpp computes it.
    public var stderr: Double
    /// Tokens evaluated (chunks × context).
    public var tokens: Int
    /// Tokens scored (chunks × (context/2 − 1)).
    public var scored: Int
    public var seconds: Double
    public var tokensPerSecond: Double

    enum CodingKeys: String, CodingKey {
        case perplexity, stderr, tokens, scored, seconds
        case tokensPerSecond = "tokens_per_second"
    }
}

/// llama.cpp's llama-perplexity protocol: the whole text tokenized with BOS, cut into consecutive chunks of
/// `context` tokens (the remainder dropped), the first token of every chunk replaced by BOS, and only the
/// second half of each chunk scored: logits at positions context/2 … context−2 predicting the tokens after them.
public enum Perplexity {
    public static func evaluate(_ model: Transformer, text: String, tokenizer: Tokenizer, context: Int,
                                progress: ((_ chunk: Int, _ of: Int) -> Void)? = nil) throws -> PerplexityResult {
        guard let bos = tokenizer.bosId ?? model.config.bosId else {
            throw EngineError("the tokenizer has no BOS token, which llama.cpp's perplexity protocol needs")
        }
        let tokens = tokenizer.encode(text, addBOS: true, parseSpecial: false)
        return try evaluate(model, tokens: tokens, bos: bos, context: context, progress: progress)
    }

    public static func evaluate(_ model: Transformer, tokens: [Int], bos: Int, context: Int,
                                progress: ((_ chunk: Int, _ of: Int) -> Void)? = nil) throws -> PerplexityResult {
        guard context >= 4 else { throw EngineError("context \(context) is too small; the protocol needs at least 4") }
        guard tokens.count >= 2 * context else {
            throw EngineError("the text has \(tokens.count) tokens; a context of \(context) needs at least \(2 * context)")
        }
        let chunks = tokens.count / context
        let started = Date()
        var sum = 0.0, sumSquares = 0.0, count = 0
        for c in 0..<chunks {
            var chunk = Array(tokens[(c * context)..<((c + 1) * context)])
            chunk[0] = bos
            // NLL of token t+1 from the logits at t, for t in context/2 ... context-2.
            for nll in try model.negativeLogLikelihoods(chunk, firstTarget: context / 2 + 1) {
                sum += nll
                sumSquares += nll * nll
                count += 1
            }
            progress?(c + 1, chunks)
        }
        let seconds = Date().timeIntervalSince(started)
        let mean = sum / Double(count)
        let ppl = Foundation.exp(mean)
        let variance = sumSquares / Double(count) - mean * mean
        let stderr = variance > 0 && count > 1 ? ppl * (variance / Double(count - 1)).squareRoot() : 0
        return PerplexityResult(perplexity: ppl, stderr: stderr, tokens: chunks * context, scored: count,
                                seconds: seconds, tokensPerSecond: Double(chunks * context) / seconds)
    }
}
