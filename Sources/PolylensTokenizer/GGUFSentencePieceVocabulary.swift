import Foundation
import PolylensModel

/// A GGUF vocabulary with `tokenizer.ggml.model = "llama"`: SentencePiece BPE pieces, scores and token types
/// as llama.cpp's converter wrote them from `tokenizer.model`.
public enum GGUFSentencePieceVocabulary {
    public static func load(_ gguf: GGUFFile) throws -> SentencePieceBPE {
        let url = gguf.file.url
        let meta = gguf.metadata
        guard let model = meta["tokenizer.ggml.model"]?.string else {
            throw ModelFileError(url, "no tokenizer.ggml.model: the GGUF file has no vocabulary")
        }
        guard model == "llama" else {
            throw ModelFileError(url, "tokenizer.ggml.model is \(model), not a SentencePiece (llama) vocabulary")
        }
        guard let tokens = meta["tokenizer.ggml.tokens"]?.array else {
            throw ModelFileError(url, "tokenizer.ggml.tokens is missing")
        }
        let scores = meta["tokenizer.ggml.scores"]?.array
        let types = meta["tokenizer.ggml.token_type"]?.array
        for (name, a) in [("scores", scores), ("token_type", types)] {
            if let a, a.count != tokens.count {
                throw ModelFileError(url, "tokenizer.ggml.\(name) has \(a.count) entries for \(tokens.count) tokens")
            }
        }
        var pieces: [SentencePieceBPE.Piece] = []
        pieces.reserveCapacity(tokens.count)
        for (i, t) in tokens.enumerated() {
            guard let text = t.string else { throw ModelFileError(url, "token \(i) is not a string") }
            let score = scores.flatMap { $0[i].double }.map { Float($0) } ?? 0
            let raw = types.flatMap { $0[i].int } ?? 1
            guard let type = SentencePieceBPE.PieceType(rawValue: raw) else {
                throw ModelFileError(url, "token \(i) has unknown token_type \(raw)")
            }
            pieces.append(.init(text, score: score, type: type))
        }
        let norm = SentencePieceBPE.Normalization(
            addDummyPrefix: meta["tokenizer.ggml.add_space_prefix"]?.bool ?? true,
            removeExtraWhitespaces: meta["tokenizer.ggml.remove_extra_whitespaces"]?.bool ?? false,
            escapeWhitespaces: true)
        return try SentencePieceBPE(pieces: pieces, normalization: norm,
                                    byteFallback: pieces.contains { $0.type == .byte },
                                    bosId: meta["tokenizer.ggml.bos_token_id"]?.int,
                                    eosId: meta["tokenizer.ggml.eos_token_id"]?.int, source: url)
    }
}
