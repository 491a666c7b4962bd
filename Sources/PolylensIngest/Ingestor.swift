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
/// held-out documents (a token budget per language from a fraction of documents chosen by content hash,
/// `heldOutPlan`) are stored with their token ids and not run; the others add to their language's neuron
/// statistics and hidden-state sums, and get summaries when asked (`storage`). Parallel snippets
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
        var batch = PendingBatch(config: config, summaryCodec: options.storage.summaryCodec)
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
                let summarize = document.itemKey != nil || options.storage.corpusSummaries
                let summary = SummaryAccumulator(blocks: config.nLayers, dim: config.dim)
                let taps = TapFanOut((summarize ? [summary] : []) + [batch.statistics(for: document.language),
                                                                      batch.languageState(for: document.language)])
                _ = try transformer.forward(tokens, startPosition: 0, taps: taps, logits: .none)
                let summaries = summarize ? summary.summaries().filter { options.storage.poolings.contains($0.pooling) } : []
                batch.add(info, summaries: summaries, tokens: tokens.count)
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
        // No fraction, nothing held out: the plan's pass over the corpus is skipped.
        let plan = options.heldOut > 0 ? try options.storage.heldOutTokens.map { try heldOutPlan(tokens: $0, minimum: minimum) } : nil
        for document in corpus.documents {
            let isCorpus = document.itemKey == nil
            var limit = min(options.maxDocTokens, weights.config.maxPositions)
            // With a plan, held-out documents are known by content and sit outside the counted tokens' budget.
            var text: String? = nil, key: DocumentKey? = nil, planned: Int? = nil
            if let plan, isCorpus {
                let t = try document.text()
                let k = DocumentKey(language: document.language, sha256: CorpusDocument.sha256(t), itemKey: nil)
                text = t; key = k; planned = plan[k]
            }
            if let planned {
                limit = planned
            } else if isCorpus, let cap = options.maxTokensPerLanguage {
                let left = cap - budgetUsed[document.language, default: 0]
                if left < minimum { try body(.overBudget(document)); continue }
                limit = min(limit, left)
            }
            let content = try text ?? document.text()
            let identity = key ?? DocumentKey(language: document.language, sha256: CorpusDocument.sha256(content), itemKey: document.itemKey)
            guard seen.insert(identity).inserted else { try body(.duplicate(document)); continue }
            let tokens = Array(tokenizer.encode(content, addBOS: true, parseSpecial: false).prefix(limit))
            guard tokens.count >= minimum else { try body(.empty(document)); continue }
            let heldOut = planned != nil || (plan == nil && isCorpus && Self.isHeldOut(sha256: identity.sha256, fraction: options.heldOut))
            if isCorpus && (plan == nil || !heldOut) { budgetUsed[document.language, default: 0] += tokens.count }
            try body(.selected(document, identity, tokens, heldOut: heldOut))
        }
    }

    /// The held-out documents under a token budget: per language, among the corpus documents the held-out
    /// fraction would hold out, in ascending content-hash order, until `tokens` tokens (the last one cut
    /// short). Key → tokens to keep. Deterministic whatever the corpus order, so resumed runs agree.
    func heldOutPlan(tokens budget: Int, minimum: Int) throws -> [DocumentKey: Int] {
        var candidates: [String: [(bits: UInt64, key: DocumentKey, document: CorpusDocument)]] = [:]
        var seen = Set<DocumentKey>()
        for document in corpus.documents where document.itemKey == nil {
            let text = try document.text()
            let key = DocumentKey(language: document.language, sha256: CorpusDocument.sha256(text), itemKey: nil)
            guard seen.insert(key).inserted, Self.isHeldOut(sha256: key.sha256, fraction: options.heldOut),
                  let bits = UInt64(key.sha256.prefix(16), radix: 16) else { continue }
            candidates[document.language, default: []].append((bits, key, document))
        }
        var plan: [DocumentKey: Int] = [:]
        let limit = min(options.maxDocTokens, weights.config.maxPositions)
        for (_, list) in candidates {
            var left = budget
            for c in list.sorted(by: { ($0.bits, $0.key.sha256) < ($1.bits, $1.key.sha256) }) {
                guard left >= minimum else { break }
                let count = min(tokenizer.encode(try c.document.text(), addBOS: true, parseSpecial: false).count, limit, left)
                guard count >= minimum else { continue }
                plan[c.key] = count
                left -= count
            }
        }
        return plan
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

    /// The study this ingest would make, counted from the corpus and prompts as `run` would select them
    /// (for `polylens estimate`): per-language figures are means over the corpus languages.
    public func studyShape() throws -> StudyShape {
        var shape = StudyShape(model: weights.config)
        var corpus: [String: (documents: Int, tokens: Int)] = [:]
        var parallel: (languages: Set<String>, items: Set<String>, documents: Int, tokens: Int) = ([], [], 0, 0)
        var heldOut = (documents: 0.0, tokens: 0.0), sourceCharacters = 0, documents = 0
        try selectDocuments { step in
            guard case .selected(let document, _, let tokens, let isHeldOut) = step else { return }
            documents += 1
            sourceCharacters += document.source.utf8.count
            if let item = document.itemKey {
                parallel.languages.insert(document.language); parallel.items.insert(item)
                parallel.documents += 1; parallel.tokens += tokens.count
            } else {
                corpus[document.language, default: (0, 0)].documents += 1
                corpus[document.language, default: (0, 0)].tokens += tokens.count
                if isHeldOut { heldOut.documents += 1; heldOut.tokens += Double(tokens.count) }
            }
        }
        shape.languages = corpus.count
        shape.statisticsLanguages = Set(corpus.keys).union(parallel.languages).count
        if !corpus.isEmpty {
            shape.documentsPerLanguage = Int((Double(corpus.values.map(\.documents).reduce(0, +)) / Double(corpus.count)).rounded())
            shape.tokensPerLanguage = Int((Double(corpus.values.map(\.tokens).reduce(0, +)) / Double(corpus.count)).rounded())
            shape.languageCharacters = Double(corpus.keys.map(\.utf8.count).reduce(0, +)) / Double(corpus.count)
        }
        shape.heldOut = heldOut
        shape.parallelItems = parallel.items.count
        shape.parallelLanguages = parallel.languages.count
        if parallel.documents > 0 { shape.parallelTokensPerItem = Double(parallel.tokens) / Double(parallel.documents) }
        if documents > 0 { shape.sourceCharacters = Double(sourceCharacters) / Double(documents) }
        var pairs = Set<String>(), promptTokens = 0, positions = 0, usable = 0
        for prompt in prompts {
            let (tokens, first) = try prompt.tokenize(tokenizer)
            guard tokens.count <= weights.config.maxPositions else { continue }
            pairs.insert(prompt.source + "\u{0}" + prompt.target)
            usable += 1; promptTokens += tokens.count; positions += tokens.count - 1 - first
        }
        shape.lensPairs = pairs.count
        shape.lensItems = pairs.isEmpty ? 0 : Int((Double(usable) / Double(pairs.count)).rounded())
        if usable > 0 {
            shape.lensTokensPerPrompt = Double(promptTokens) / Double(usable)
            shape.lensPositionsPerPrompt = Double(positions) / Double(usable)
        }
        shape.heldOutFraction = options.heldOut
        shape.storage = options.storage
        shape.embedUnembedding = options.embedUnembedding
        return shape
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
    let summaryCodec: BlobDType
    var documents: [DocumentInfo] = []
    var summaries: [(documentIndex: Int, summary: DocumentSummary)] = []
    var prompts: [LensPrompt] = []
    var accumulators: [String: NeuronStatsAccumulator] = [:]
    var languageStates: [String: LanguageStateAccumulator] = [:]
    var tokens = 0

    init(config: LlamaConfig, summaryCodec: BlobDType) { self.config = config; self.summaryCodec = summaryCodec }

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

    mutating func languageState(for language: String) -> LanguageStateAccumulator {
        if let a = languageStates[language] { return a }
        let a = LanguageStateAccumulator(language: language, blocks: config.nLayers, dim: config.dim)
        languageStates[language] = a
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
        var batch = IngestBatch(documents: documents, stats: stats, summaries: summaries, lensPrompts: prompts)
        batch.languageStates = languageStates.sorted { $0.key < $1.key }.flatMap { $0.value.isEmpty ? [] : $0.value.states }
        batch.summaryCodec = summaryCodec
        self = PendingBatch(config: config, summaryCodec: summaryCodec)
        return batch
    }
}
