import Foundation
import PolylensStore

/// Everything that decides what an ingest computes. `parametersJSON` records the options that change
/// results; `RunIdentity` splits them into run-defining ones (a change needs a new run) and corpus specs
/// and budgets (the run continues and keeps their history). A new run-defining option must always be
/// written, default included; a new spec or budget goes into `RunIdentity.growableKeys`.
public struct IngestOptions: Sendable, Equatable {
    public var corpus: [CorpusSpec]
    /// `--prompts DIR`: the few-shot lines; logit-lens prompts are built only when given (needs `--parallel`).
    public var promptsDirectory: String?
    /// Parallel items (first in sorted id order) for the lens prompts.
    public var lensItems: Int = 100
    public var lensLanguages: [String] = LanguageName.parallel
    /// Tokens per document, BOS included (the paper: 4096).
    public var maxDocTokens: Int = 4096
    /// Corpus tokens per language (counted and held out); the document that reaches it is cut short.
    public var maxTokensPerLanguage: Int?
    /// Fraction of corpus documents, chosen by content hash, that may be kept out of the statistics for ablation;
    /// `storage.heldOutTokens` then takes a fixed number of tokens from them (`Ingestor.heldOutPlan`).
    public var heldOut: Double = 0.1
    /// What is kept of hidden states and held-out text: poolings, corpus summaries, codec, held-out budget.
    public var storage = StorageOptions()
    /// Tokens kept per (prompt, layer, position) by the lens computed at ingest (the paper's 10).
    public var lensTop = 10
    /// Also store the raw lens states and the final norm and unembedding, for token sets decided later;
    /// the lens results are stored either way.
    public var lensStates = false
    /// How lens states are stored: f16, or q8_0 at half the size. f16 by default: `lens --recompute` from f16
    /// states moves probabilities by up to 2.6e-4 against f32 on polycode, from q8_0 by up to 9.4e-3 (README, "The
    /// logit lens at ingest"). Not run-defining: each state's blob names its codec, and the lens results stored at
    /// ingest are computed from the engine's f32 states either way.
    public var lensStateCodec: BlobDType = .f16
    /// The word list of the English token set, and the paper's keywords folder (nil: `../shared/data/paper/keywords`).
    public var lensWords = "/usr/share/dict/words"
    public var lensKeywords: String?
    /// A batch is committed after this many documents or prompts, or once it holds this many tokens.
    /// Fixed, not timed: the float64 sums a batch adds must be the same in a resumed run.
    public var batchDocuments = 64
    public var batchTokens = 32768
    /// Per (language, layer, neuron) histograms of a in `ActivationBins` (issue 12).
    public var activationHistograms = true
    /// How many top-activating contexts to keep per neuron, and their windows; nil: none (issue 12).
    public var contexts: ContextShape? = ContextShape()

    public init(corpus: [CorpusSpec]) { self.corpus = corpus }

    /// Checks the numbers; the corpus itself is checked when it is read.
    public func validate() throws {
        if maxDocTokens < 2 { throw IngestError("--max-doc-tokens must be at least 2 (BOS and one token), got \(maxDocTokens)") }
        if let cap = maxTokensPerLanguage, cap < 2 { throw IngestError("--max-tokens-per-language must be at least 2, got \(cap)") }
        if !(heldOut >= 0 && heldOut < 1) { throw IngestError("--held-out must be in [0, 1), got \(heldOut)") }
        if lensItems < 0 { throw IngestError("--lens-items must not be negative, got \(lensItems)") }
        if lensLanguages.count < 2 { throw IngestError("--lens-languages needs at least two languages") }
        if lensTop < 1 { throw IngestError("--lens-top must be at least 1, got \(lensTop)") }
        if !StorageOptions.summaryCodecs.contains(lensStateCodec) {
            throw IngestError("--lens-state-codec must be f16 or q8_0, got \(lensStateCodec.name)")
        }
        if promptsDirectory != nil, !corpus.contains(where: { if case .parallel = $0 { return true } else { return false } }) {
            throw IngestError("--prompts needs --parallel (the lens prompts are built from the parallel snippets)")
        }
        if batchDocuments < 1 || batchTokens < 1 { throw IngestError("batch sizes must be positive") }
        do { try storage.validate() } catch let e as StorageOptionsError { throw IngestError(e.description) }
        if let c = contexts {
            if c.k < 0 || c.k > 1024 { throw IngestError("--top-contexts must be in 0...1024, got \(c.k)") }
            if c.perLanguage < 0 || c.perLanguage > 1024 { throw IngestError("--top-contexts-per-language must be in 0...1024, got \(c.perLanguage)") }
            if c.before < 0 || c.before > 256 || c.after < 0 || c.after > 256 {
                throw IngestError("--context-window must be BEFORE,AFTER with each in 0...256, got \(c.before),\(c.after)")
            }
        }
    }

    /// The options that change results, as JSON with sorted keys (threads do not).
    public var parametersJSON: String {
        var p: [String: Any] = [
            "corpus": corpus.map(\.description),
            "max_doc_tokens": maxDocTokens,
            "held_out": heldOut,
            "bos": true,
            "batch_documents": batchDocuments,
            "batch_tokens": batchTokens,
        ]
        p.merge(storage.parameters) { $1 }
        if let cap = maxTokensPerLanguage { p["max_tokens_per_language"] = cap }
        if activationHistograms { p["activation_histograms"] = ActivationBins.count }
        if let c = contexts, c.collected > 0 {
            p["top_contexts"] = ["k": c.k, "per_language": c.perLanguage, "before": c.before, "after": c.after]
        }
        if let dir = promptsDirectory {
            p["prompts"] = dir
            p["lens_items"] = lensItems
            p["lens_languages"] = lensLanguages
            p["lens_top"] = lensTop
            p["lens_words"] = lensWords
            if let lensKeywords { p["lens_keywords"] = lensKeywords }
            if lensStates { p["lens_states"] = true }
        }
        let data = (try? JSONSerialization.data(withJSONObject: p, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
