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
/// Per corpus document (BOS first, cut at `maxDocTokens` and at the language's token budget):
/// held-out documents (a fixed fraction by content hash) are stored with their token ids and not
/// run; the others add to their language's neuron statistics and get summaries. Parallel snippets
/// get summaries only: they feed MEXA, not the statistics. Each lens prompt keeps its states.
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
        var batch = PendingBatch(config: config)
        var seen = Set<DocumentKey>()
        var budgetUsed: [String: Int] = [:]
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

        for document in corpus.documents {
            let isCorpus = document.itemKey == nil
            if isCorpus, let cap = options.maxTokensPerLanguage, budgetUsed[document.language, default: 0] >= cap {
                report.overBudget += 1; advance(bytes: document.bytes); continue
            }
            let text = try document.text()
            let key = DocumentKey(language: document.language, sha256: CorpusDocument.sha256(text), itemKey: document.itemKey)
            guard seen.insert(key).inserted else { report.duplicates += 1; advance(bytes: document.bytes); continue }
            var limit = options.maxDocTokens
            if isCorpus, let cap = options.maxTokensPerLanguage { limit = min(limit, cap - budgetUsed[document.language, default: 0]) }
            let tokens = Array(tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(limit))
            guard tokens.count > (tokenizer.bosId == nil ? 0 : 1) else { report.empty += 1; advance(bytes: document.bytes); continue }
            if isCorpus { budgetUsed[document.language, default: 0] += tokens.count }
            if committedDocuments.contains(key) { report.documentsResumed += 1; advance(bytes: document.bytes); continue }

            let heldOut = isCorpus && Self.isHeldOut(sha256: key.sha256, fraction: options.heldOut)
            let info = DocumentInfo(language: document.language, source: document.source, itemKey: document.itemKey,
                                    sha256: key.sha256, bytes: text.utf8.count, tokens: tokens.count, heldOut: heldOut,
                                    tokenIds: heldOut ? tokens.map { Int32($0) } : nil)
            if heldOut {
                batch.add(info, summaries: [], tokens: 0)
                report.heldOut += 1
            } else {
                let summary = SummaryAccumulator(blocks: config.nLayers, dim: config.dim)
                var consumers: [TapConsumer] = [summary]
                if isCorpus { consumers.append(batch.statistics(for: document.language)) }
                _ = try transformer.forward(tokens, startPosition: 0, taps: TapFanOut(consumers), logits: .none)
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
    var accumulators: [String: NeuronStatsAccumulator] = [:]
    var tokens = 0

    init(config: LlamaConfig) { self.config = config }

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
        let batch = IngestBatch(documents: documents, stats: stats, summaries: summaries, lensPrompts: prompts)
        self = PendingBatch(config: config)
        return batch
    }
}
