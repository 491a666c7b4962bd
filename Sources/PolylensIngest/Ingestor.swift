import Foundation
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// Runs the model once over every document and prompt and commits what the analyses need.
///
/// Resumable: documents and prompts already in the run are skipped, and batches are cut at fixed
/// counts (never by time), so a run killed at any moment and started again commits exactly the
/// batches, with exactly the same float64 sums, that an uninterrupted run would.
///
/// Per corpus document (BOS first, cut at `maxDocTokens` or the model's context if shorter, and at
/// the language's token budget):
/// held-out documents (a fixed fraction by content hash) are stored with their token ids and not
/// run; the others add to their language's neuron statistics and get summaries. Parallel snippets
/// are never held out (MEXA needs every item) and count like any other document, so a language's
/// statistics always cover exactly its documents that are not held out. Each lens prompt keeps
/// its states.
public final class Ingestor {
    public let options: IngestOptions
    public let corpus: Corpus
    public let prompts: [FewShotPrompt]
    private let weights: ModelWeights
    private let tokenizer: Tokenizer
    private let modelPath: String
    private let tokenizerURL: URL

    /// Reads the corpus specs and prompts: input errors surface here, before a file is opened.
    public init(weights: ModelWeights, modelPath: String, tokenizer: Tokenizer, tokenizerURL: URL,
                options: IngestOptions) throws {
        try options.validate()
        self.options = options; self.weights = weights; self.tokenizer = tokenizer
        self.modelPath = modelPath; self.tokenizerURL = tokenizerURL
        guard tokenizer.vocabSize <= weights.config.vocabSize else {
            throw IngestError("\(tokenizerURL.path): vocabulary of \(tokenizer.vocabSize) tokens does not fit the model's \(weights.config.vocabSize)")
        }
        corpus = try Corpus(specs: options.corpus)
        if let dir = options.promptsDirectory, let parallel = corpus.parallel {
            let languages = try options.lensLanguages.map { try LanguageName.canonical($0, in: "--lens-languages") }
            prompts = try FewShotExamples(directory: dir).prompts(snippets: parallel, languages: languages, items: options.lensItems)
        } else {
            prompts = []
        }
    }

    /// What one call of `run` did.
    public struct Report: Sendable {
        public var run: Int64
        /// Documents and prompts committed by this call.
        public var documentsCommitted = 0
        public var promptsCommitted = 0
        /// Already in the run when this call started.
        public var documentsResumed = 0
        public var promptsResumed = 0
        /// Dropped: same content in the same language, or no tokens.
        public var duplicates = 0
        public var empty = 0
        /// Corpus documents left out because their language's token budget was spent.
        public var overBudget = 0
        /// Lens prompts longer than the model's context, left out.
        public var promptsTooLong = 0
        public var heldOut = 0
        /// Tokens through the model in this call, and seconds spent (model, accumulators and commits).
        public var tokensComputed = 0
        public var seconds = 0.0
    }

    public func run(into file: PolylensFile, threads: Int? = nil,
                    progress: ((IngestProgress) -> Void)? = nil) throws -> Report {
        let config = weights.config
        let run = try file.beginRun(try RunProvenance.runInfo(weights: weights, modelPath: modelPath,
                                                               tokenizerURL: tokenizerURL, options: options))
        let committedDocuments = try file.documentKeys(run: run)
        let committedPrompts = try file.lensPromptKeys(run: run)
        let transformer = try Transformer(weights, threads: threads)
        if options.embedUnembedding, try file.unembedding(run: run) == nil {
            try file.storeUnembedding(run: run, finalNorm: try weights.tensor(.finalNorm).floats(),
                                      matrix: try weights.tensor(.output).floats(), vocab: config.vocabSize, dim: config.dim)
        }

        var report = Report(run: run)
        let start = Date()
        var batch = PendingBatch(config: config, options: options)
        var state = IngestProgress(done: 0, total: corpus.documents.count + prompts.count, bytesDone: 0,
                                   bytesTotal: corpus.documents.reduce(0) { $0 + $1.bytes }, bytesComputed: 0,
                                   tokensComputed: 0, seconds: 0, documentsPerLanguage: [:])
        for key in committedDocuments { state.documentsPerLanguage[key.language, default: 0] += 1 }

        func flush() throws {
            guard !batch.isEmpty else { return }
            try file.commit(run: run, batch: batch.take())
        }
        func advance(bytes: Int, computedBytes: Int = 0) {
            state.done += 1; state.bytesDone += bytes; state.bytesComputed += computedBytes
            state.seconds = Date().timeIntervalSince(start)
            state.tokensComputed = report.tokensComputed
            progress?(state)
        }

        try selectDocuments { step in
            guard case .selected(let document, let key, let tokens, let heldOut) = step else {
                switch step {
                case .overBudget: report.overBudget += 1
                case .duplicate: report.duplicates += 1
                case .empty: report.empty += 1
                case .selected: break
                }
                return advance(bytes: step.bytes)
            }
            if committedDocuments.contains(key) { report.documentsResumed += 1; return advance(bytes: document.bytes) }
            let info = DocumentInfo(language: document.language, source: document.source, itemKey: document.itemKey,
                                    sha256: key.sha256, bytes: document.bytes, tokens: tokens.count, heldOut: heldOut,
                                    tokenIds: heldOut ? tokens.map { Int32($0) } : nil)
            if heldOut {
                batch.add(info, summaries: [], tokens: 0)
                report.heldOut += 1
            } else {
                let summary = SummaryAccumulator(blocks: config.nLayers, dim: config.dim)
                var consumers: [TapConsumer] = [summary, batch.statistics(for: document.language)]
                if let activity = batch.activity(for: document.language) {
                    activity.begin(document: batch.documents.count, key: key, tokens: tokens)
                    consumers.append(activity)
                }
                let taps = TapFanOut(consumers)
                _ = try transformer.forward(tokens, startPosition: 0, taps: taps, logits: .none)
                batch.add(info, summaries: summary.summaries(), tokens: tokens.count)
                report.tokensComputed += tokens.count
            }
            report.documentsCommitted += 1
            state.documentsPerLanguage[document.language, default: 0] += 1
            if batch.isFull(options) { try flush() }
            advance(bytes: document.bytes, computedBytes: document.bytes)
        }

        for prompt in prompts {
            let key = LensPromptKey(source: prompt.source, target: prompt.target, itemKey: prompt.itemKey)
            if committedPrompts.contains(key) { report.promptsResumed += 1; advance(bytes: 0); continue }
            let (tokens, first) = try prompt.tokenize(tokenizer)
            guard tokens.count <= config.maxPositions else { report.promptsTooLong += 1; advance(bytes: 0); continue }
            let collector = LensStateCollector(blocks: config.nLayers, dim: config.dim, firstPosition: first, tokenCount: tokens.count)
            _ = try transformer.forward(tokens.map { Int($0) }, startPosition: 0, taps: collector, logits: .none)
            batch.add(LensPrompt(source: prompt.source, target: prompt.target, itemKey: prompt.itemKey, tokens: tokens,
                                 firstPosition: first, layers: collector.layers, dim: collector.dim, states: collector.states),
                      tokens: tokens.count)
            report.tokensComputed += tokens.count
            report.promptsCommitted += 1
            if batch.isFull(options) { try flush() }
            advance(bytes: 0)
        }
        try flush()
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// What ingest does with one corpus document, in corpus order.
    enum Selection {
        /// To compute (or store, when held out): the identity, and the token ids, BOS first, cut to size.
        case selected(CorpusDocument, DocumentKey, [Int], heldOut: Bool)
        case overBudget(CorpusDocument), duplicate(CorpusDocument), empty(CorpusDocument)

        var bytes: Int {
            switch self {
            case .selected(let d, _, _, _), .overBudget(let d), .duplicate(let d), .empty(let d): return d.bytes
            }
        }
    }

    /// Walks the corpus applying the token budget, deduplication (same content in the same language
    /// and item), truncation and the held-out split. Deterministic: a resumed run makes the same choices.
    func selectDocuments(_ body: (Selection) throws -> Void) throws {
        var seen = Set<DocumentKey>()
        var budgetUsed: [String: Int] = [:]
        let minimum = tokenizer.bosId == nil ? 1 : 2
        for document in corpus.documents {
            let isCorpus = document.itemKey == nil
            var limit = min(options.maxDocTokens, weights.config.maxPositions)
            if isCorpus, let cap = options.maxTokensPerLanguage {
                let left = cap - budgetUsed[document.language, default: 0]
                if left < minimum { try body(.overBudget(document)); continue }
                limit = min(limit, left)
            }
            let text = try document.text()
            let key = DocumentKey(language: document.language, sha256: CorpusDocument.sha256(text), itemKey: document.itemKey)
            guard seen.insert(key).inserted else { try body(.duplicate(document)); continue }
            let tokens = Array(tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(limit))
            guard tokens.count >= minimum else { try body(.empty(document)); continue }
            if isCorpus { budgetUsed[document.language, default: 0] += tokens.count }
            try body(.selected(document, key, tokens, heldOut: isCorpus && Self.isHeldOut(sha256: key.sha256, fraction: options.heldOut)))
        }
    }

    /// The token ids of every forward pass `run` makes in a fresh file (documents not held out, then
    /// prompts), for measuring the bare engine on the same work.
    public func plannedForwardPasses() throws -> [[Int]] {
        var passes: [[Int]] = []
        try selectDocuments { step in
            if case .selected(_, _, let tokens, let heldOut) = step, !heldOut { passes.append(tokens) }
        }
        for prompt in prompts {
            let tokens = try prompt.tokenize(tokenizer).tokens
            if tokens.count <= weights.config.maxPositions { passes.append(tokens.map { Int($0) }) }
        }
        return passes
    }

    /// Held out when the first 64 bits of the content hash, as a fraction of 2^64, fall below `fraction`:
    /// the same documents whatever the order, the machine or an interruption.
    public static func isHeldOut(sha256: String, fraction: Double) -> Bool {
        guard fraction > 0, let bits = UInt64(sha256.prefix(16), radix: 16) else { return false }
        return Double(bits) / 18446744073709551616.0 < fraction
    }
}

/// The documents, statistics, summaries and prompts collected since the last commit.
private struct PendingBatch {
    let config: LlamaConfig
    var documents: [DocumentInfo] = []
    var summaries: [(documentIndex: Int, summary: DocumentSummary)] = []
    var prompts: [LensPrompt] = []
    let options: IngestOptions
    var accumulators: [String: NeuronStatsAccumulator] = [:]
    var activity: [String: NeuronActivityAccumulator] = [:]
    var tokens = 0

    init(config: LlamaConfig, options: IngestOptions) { self.config = config; self.options = options }

    var isEmpty: Bool { documents.isEmpty && prompts.isEmpty }

    func isFull(_ options: IngestOptions) -> Bool {
        documents.count + prompts.count >= options.batchDocuments || tokens >= options.batchTokens
    }

    mutating func statistics(for language: String) -> NeuronStatsAccumulator {
        if let a = accumulators[language] { return a }
        let a = NeuronStatsAccumulator(language: language, layers: config.nLayers, neurons: config.hiddenDim)
        accumulators[language] = a
        return a
    }

    /// Histograms and context candidates of a language, or nil when ingest collects neither.
    mutating func activity(for language: String) -> NeuronActivityAccumulator? {
        let contexts = options.contexts.flatMap { $0.collected > 0 ? $0 : nil }
        guard options.activationHistograms || contexts != nil else { return nil }
        if let a = activity[language] { return a }
        let a = NeuronActivityAccumulator(language: language, layers: config.nLayers, neurons: config.hiddenDim,
                                          histograms: options.activationHistograms, contexts: contexts)
        activity[language] = a
        return a
    }

    mutating func add(_ document: DocumentInfo, summaries: [DocumentSummary], tokens: Int) {
        let index = documents.count
        documents.append(document)
        self.summaries += summaries.map { (index, $0) }
        self.tokens += tokens
    }

    mutating func add(_ prompt: LensPrompt, tokens: Int) {
        prompts.append(prompt)
        self.tokens += tokens
    }

    mutating func take() -> IngestBatch {
        let stats = accumulators.sorted { $0.key < $1.key }.flatMap { $0.value.isEmpty ? [] : $0.value.stats }
        let active = activity.sorted { $0.key < $1.key }.map(\.value).filter { !$0.isEmpty }
        let delta = active.isEmpty ? nil : NeuronActivityDelta(shape: active[0].shape, histograms: active.flatMap(\.activationHistograms),
                                                               contexts: active.flatMap(\.contexts))
        let batch = IngestBatch(documents: documents, stats: stats, summaries: summaries, lensPrompts: prompts, activity: delta)
        self = PendingBatch(config: config, options: options)
        return batch
    }
}
