import Foundation
import PolylensStore
import PolylensTokenizer

/// The work of one ingest call, decided before the model runs: which documents and prompts to compute
/// or store, so that progress totals count only real work and every input error surfaces before the
/// file is written.
///
/// Per corpus document, in corpus order: deduplication (same content in the same language and item),
/// truncation (BOS first, at `maxDocTokens` or the model's context), the language's token budget and
/// the held-out split (by content hash, so growing a corpus never moves a document between held-out and
/// counted). The budget counts what the run already holds: a run that grows, or resumes after an
/// interruption, makes exactly the choices one uninterrupted call over the same corpus would have made
/// after the documents it holds. Documents already in the run are skipped (never recomputed, even
/// when a higher budget would now cut them later).
struct IngestPlan {
    struct Document {
        var document: CorpusDocument
        var key: DocumentKey
        var tokenCount: Int
        var heldOut: Bool
        /// The token ids, kept while the plan holds fewer than `keptTokens`; later documents are read again.
        var tokens: [Int32]?
    }

    struct Prompt {
        var source: String
        var target: String
        var itemKey: String
        var tokens: [Int32]
        var firstPosition: Int
    }

    /// Token ids the plan keeps in memory (4 bytes each); beyond, documents are read and tokenized again.
    static let keptTokens = 16 << 20

    var documents: [Document] = []
    var prompts: [Prompt] = []
    var resumedDocuments = 0, resumedPrompts = 0
    var duplicates = 0, empty = 0, overBudget = 0, promptsTooLong = 0

    /// Tokens the model will run: documents not held out, and prompts.
    var tokensToCompute: Int {
        documents.reduce(0) { $0 + ($1.heldOut ? 0 : $1.tokenCount) } + prompts.reduce(0) { $0 + $1.tokens.count }
    }

    var items: Int { documents.count + prompts.count }
}

extension Ingestor {
    /// The plan for a run holding `committed` documents (of which `spent` corpus tokens per language) and `committedPrompts`.
    /// `examined(n, total)` follows the reading of the corpus (a large corpus takes a while to read and tokenize).
    func plan(committed: Set<DocumentKey>, spent: [String: Int], committedPrompts: Set<LensPromptKey>,
              keeping keptTokens: Int = IngestPlan.keptTokens, examined: ((Int, Int) -> Void)? = nil) throws -> IngestPlan {
        var plan = IngestPlan()
        var seen = Set<DocumentKey>()
        var budgetUsed = spent
        var kept = 0
        let minimum = tokenizer.bosId == nil ? 1 : 2
        let languagesWithDocuments = Set(committed.map(\.language))
        // A held-out token budget: the held-out documents are known by content before the walk, and sit
        // outside the counted tokens' budget. Without one, the whole fraction is held out and counts in it.
        let heldOut = try heldOutTokenBudget.map { try heldOutPlan(tokens: $0, minimum: minimum) }
        for (index, document) in corpus.documents.enumerated() {
            examined?(index, corpus.documents.count)
            let isCorpus = document.itemKey == nil
            var limit = min(options.maxDocTokens, weights.config.maxPositions)
            var spentOut = false
            if isCorpus, let cap = options.maxTokensPerLanguage {
                let left = cap - budgetUsed[document.language, default: 0]
                spentOut = left < minimum
                // A spent budget needs no reading, unless the document may be one the run already holds
                // or one the held-out plan chose.
                if spentOut && !languagesWithDocuments.contains(document.language)
                    && !(heldOut?.sources.contains(document.source) ?? false) { plan.overBudget += 1; continue }
                limit = min(limit, left)
            }
            let text = try document.text()
            let key = DocumentKey(language: document.language, sha256: CorpusDocument.sha256(text), itemKey: document.itemKey)
            guard seen.insert(key).inserted else { plan.duplicates += 1; continue }
            if committed.contains(key) { plan.resumedDocuments += 1; continue }
            let plannedHeldOut = isCorpus ? heldOut?.tokens[key] : nil
            if let planned = plannedHeldOut {
                limit = planned
            } else if spentOut {
                plan.overBudget += 1; continue
            }
            let tokens = Array(tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(limit))
            guard tokens.count >= minimum else { plan.empty += 1; continue }
            let isHeldOut = plannedHeldOut != nil
                || (heldOut == nil && isCorpus && Self.isHeldOut(sha256: key.sha256, fraction: options.heldOut))
            if isCorpus && plannedHeldOut == nil { budgetUsed[document.language, default: 0] += tokens.count }
            let keep = kept + tokens.count <= keptTokens
            if keep { kept += tokens.count }
            plan.documents.append(IngestPlan.Document(
                document: document, key: key, tokenCount: tokens.count, heldOut: isHeldOut,
                tokens: keep ? tokens.map { Int32($0) } : nil))
        }
        for prompt in prompts {
            if committedPrompts.contains(LensPromptKey(source: prompt.source, target: prompt.target, itemKey: prompt.itemKey)) {
                plan.resumedPrompts += 1; continue
            }
            let (tokens, first) = try prompt.tokenize(tokenizer)
            guard tokens.count <= weights.config.maxPositions else { plan.promptsTooLong += 1; continue }
            plan.prompts.append(IngestPlan.Prompt(source: prompt.source, target: prompt.target, itemKey: prompt.itemKey,
                                                  tokens: tokens, firstPosition: first))
        }
        return plan
    }

    /// The held-out token budget per language in force: `--held-out-tokens` when a fraction is held out at all.
    var heldOutTokenBudget: Int? { options.heldOut > 0 ? options.storage.heldOutTokens : nil }

    /// Whether the documents a run holds out count in its `--max-tokens-per-language` budget (the whole
    /// fraction is held out) or not (a held-out token budget chose them).
    var heldOutCountsInBudget: Bool { heldOutTokenBudget == nil }

    /// The held-out documents under a token budget: per language, among the corpus documents the held-out
    /// fraction would hold out, in ascending content-hash order, until `tokens` tokens (the last one cut
    /// short): key → tokens to keep, and the chosen documents' sources. Deterministic whatever the corpus
    /// order, so resumed and grown runs agree on every document they already hold.
    func heldOutPlan(tokens budget: Int, minimum: Int) throws -> (tokens: [DocumentKey: Int], sources: Set<String>) {
        var candidates: [String: [(bits: UInt64, key: DocumentKey, document: CorpusDocument)]] = [:]
        var seen = Set<DocumentKey>()
        for document in corpus.documents where document.itemKey == nil {
            let text = try document.text()
            let key = DocumentKey(language: document.language, sha256: CorpusDocument.sha256(text), itemKey: nil)
            guard seen.insert(key).inserted, Self.isHeldOut(sha256: key.sha256, fraction: options.heldOut),
                  let bits = UInt64(key.sha256.prefix(16), radix: 16) else { continue }
            candidates[document.language, default: []].append((bits, key, document))
        }
        var plan: [DocumentKey: Int] = [:], sources = Set<String>()
        let limit = min(options.maxDocTokens, weights.config.maxPositions)
        for (_, list) in candidates {
            var left = budget
            for c in list.sorted(by: { ($0.bits, $0.key.sha256) < ($1.bits, $1.key.sha256) }) {
                guard left >= minimum else { break }
                let count = min(tokenizer.encode(try c.document.text(), addBOS: true, parseSpecial: false).count, limit, left)
                guard count >= minimum else { continue }
                plan[c.key] = count
                sources.insert(c.document.source)
                left -= count
            }
        }
        return (plan, sources)
    }


    /// The token ids of a planned document: kept by the plan, or read and tokenized again (and checked
    /// to be the same content, in case the file changed since the plan).
    func tokens(of planned: IngestPlan.Document) throws -> [Int] {
        if let tokens = planned.tokens { return tokens.map { Int($0) } }
        let text = try planned.document.text()
        guard CorpusDocument.sha256(text) == planned.key.sha256 else {
            throw IngestError("\(planned.document.source): changed while the ingest was running; run the command again")
        }
        return Array(tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(planned.tokenCount))
    }
}
