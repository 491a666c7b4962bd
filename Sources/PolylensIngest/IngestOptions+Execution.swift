import Foundation
import PolylensStore

/// The options an executor honours, read back from a planned run's parameters_json (FORMAT.md, "Shard plans
/// and result shards"): what is stored and how batches are cut. Keys that only decided the plan (corpus,
/// budgets, held-out split, prompts) are already in the planned token ids; a key this build does not know
/// refuses the plan before anything is computed.
extension IngestOptions {
    /// Keys applied at planning time, which an executor reads nowhere.
    static let planningKeys: Set<String> = ["corpus", "max_doc_tokens", "held_out", "held_out_tokens", "max_tokens_per_language",
                                            "prompts", "lens_items", "lens_languages", "lens_words", "lens_keywords",
                                            RunIdentity.historyKey]

    /// `json` is the run row's parameters_json; `path` names the plan in messages.
    public init(executing json: String, path: String) throws {
        self.init(corpus: [])
        let p = try RunIdentity.parameters(json, path: path)
        func refuse(_ why: String) -> IngestError { IngestError("\(path): this executor cannot run the plan: \(why)") }
        func int(_ key: String) throws -> Int {
            guard let n = p[key] as? Int else { throw refuse("parameter \(key) is \(RunIdentity.display(p[key])), not an integer") }
            return n
        }
        for key in p.keys.sorted() where !Self.planningKeys.contains(key) {
            switch key {
            case "bos":
                guard p[key] as? Bool == true else { throw refuse("bos is \(RunIdentity.display(p[key])); Polylens runs BOS-first token ids") }
            case "batch_documents": batchDocuments = try int(key)
            case "batch_tokens": batchTokens = try int(key)
            case "summaries":
                guard let names = p[key] as? [String] else { throw refuse("summaries is not a list of poolings") }
                storage.poolings = try names.map { name in
                    guard let pooling = Pooling(rawValue: name) else { throw refuse("unknown pooling \(name)") }
                    return pooling
                }
            case "corpus_summaries":
                guard let b = p[key] as? Bool else { throw refuse("corpus_summaries is not true or false") }
                storage.corpusSummaries = b
            case "summary_codec":
                guard let codec = StorageOptions.summaryCodecs.first(where: { $0.name == p[key] as? String }) else {
                    throw refuse("summary_codec \(RunIdentity.display(p[key])) is not f16 or q8_0")
                }
                storage.summaryCodec = codec
            case "lens_top": lensTop = try int(key)
            case "lens_states":
                guard let b = p[key] as? Bool else { throw refuse("lens_states is not true or false") }
                lensStates = b
            case "activation_histograms":
                guard try int(key) == ActivationBins.count else {
                    throw refuse("activation_histograms asks for \(RunIdentity.display(p[key])) bins; this build counts \(ActivationBins.count)")
                }
            case "top_contexts":
                guard let c = p[key] as? [String: Any], let k = c["k"] as? Int, let perLanguage = c["per_language"] as? Int,
                      let before = c["before"] as? Int, let after = c["after"] as? Int, c.count == 4 else {
                    throw refuse("top_contexts is not {k, per_language, before, after}")
                }
                contexts = ContextShape(k: k, perLanguage: perLanguage, before: before, after: after)
            default:
                throw refuse("unknown parameter \(key) (written by a newer Polylens?)")
            }
        }
        activationHistograms = p["activation_histograms"] != nil
        if p["top_contexts"] == nil { contexts = nil }
        if p["lens_states"] == nil { lensStates = false }
        do { try validate() } catch let e as IngestError { throw refuse(e.description) }
    }
}
