import Foundation
import PolylensEngine
import PolylensStore
import PolylensTokenizer

/// The logit lens (METHODS.md §1) over stored states (q8_0 or f16), for files ingested without lens results (schema 1, or
/// token sets decided later): the same decoding as ingest's, giving the same stored form.
public enum LogitLens {
    /// `progress`, when given, is called after each prompt (the lens of a large vocabulary takes minutes).
    public static func run(_ prompts: [LensPrompt], unembedding u: Unembedding, sets: [TokenSet], topK: Int,
                           progress: (() -> Void)? = nil) throws -> [LensPromptResult] {
        guard topK >= 1, topK <= u.vocab else { throw AnalysisError("lens: --top must be in 1...\(u.vocab), got \(topK)") }
        guard let first = prompts.first else { throw AnalysisError("lens: no prompts") }
        for s in sets { if let bad = s.ids.first(where: { $0 < 0 || Int($0) >= u.vocab }) {
            throw AnalysisError("lens: token set \(s.name) has id \(bad) outside the vocabulary of \(u.vocab)")
        } }
        return try prompts.map { p in
            let positions = p.positions
            guard p.layers == first.layers, p.dim == u.dim, positions >= 0, p.states.count == p.layers * positions * p.dim else {
                throw AnalysisError("lens: prompt \(p.source)→\(p.target) \(p.itemKey) has \(p.states.count) state values for \(p.layers) layers × \(positions) positions × \(p.dim), model dim \(u.dim)")
            }
            if let bad = p.tokens.first(where: { $0 < 0 || Int($0) >= u.vocab }) {
                throw AnalysisError("lens: prompt \(p.itemKey) has token id \(bad) outside the vocabulary of \(u.vocab)")
            }
            let next = positions > 0 ? Array(p.tokens[(p.firstPosition + 1)...]) : []
            let columns = p.states.withUnsafeBufferPointer {
                LensDecoder.decode($0, positions: positions, next: next, unembedding: u, sets: sets, topK: topK)
            }
            progress?()
            return LensPromptResult(prompt: p, columns: columns)
        }
    }
}
