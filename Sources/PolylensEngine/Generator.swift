import Foundation
import PolylensTokenizer

/// Prompt → continuation, as llama2.c's `run` generates: the prompt is encoded with BOS, `steps` counts
/// positions (prompt included), and generation stops early at BOS or EOS. The prompt goes through the
/// model in one prefill; then one token at a time through the KV cache.
public struct Generator {
    public let model: Transformer
    public let tokenizer: Tokenizer

    public init(model: Transformer, tokenizer: Tokenizer) {
        self.model = model
        self.tokenizer = tokenizer
    }

    /// Token ids of BOS + prompt + continuation, at most `steps + 1` of them. `onText` receives the printable
    /// text as it grows (prompt first), never splitting a UTF-8 character.
    @discardableResult
    public func generate(prompt: String, steps: Int, sampler: inout Sampler,
                         onText: (String) -> Void = { _ in }) throws -> [Int] {
        // A sampled id the tokenizer does not know would vanish from the text without a word.
        guard tokenizer.vocabSize >= model.config.vocabSize else {
            throw EngineError("the tokenizer has \(tokenizer.vocabSize) tokens but the model's vocabulary has \(model.config.vocabSize): use the model's own tokenizer")
        }
        var ids = tokenizer.encode(prompt, addBOS: true, parseSpecial: false)
        let bos = tokenizer.bosId ?? model.config.bosId, eos = tokenizer.eosId ?? model.config.eosId
        if ids.first != bos, let bos { ids.insert(bos, at: 0) }
        if ids.count > steps + 1 { ids.removeLast(ids.count - steps - 1) }
        var printed = ""
        func flush(final: Bool = false) {
            let text = tokenizer.decode(ids)
            guard final || !text.hasSuffix("\u{FFFD}"), text.hasPrefix(printed) else { return }
            onText(String(text.dropFirst(printed.count)))
            printed = text
        }
        flush()
        if ids.count <= steps {
            model.reset()
            var logits = try model.forward(ids, startPosition: 0, logits: .last)
            while true {
                let next = sampler.sample(logits)
                if next == bos || next == eos { break }
                ids.append(next)
                flush()
                if ids.count > steps { break }
                logits = try model.forward([next], startPosition: ids.count - 1, logits: .last)
            }
        }
        flush(final: true)
        return ids
    }
}
