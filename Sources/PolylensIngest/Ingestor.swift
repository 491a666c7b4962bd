import Foundation
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// Runs the model once over every document and prompt and commits what the analyses need.
///
/// Resumable: documents and prompts already in the run are skipped, and batches are cut at fixed
/// counts (never by time), so a run killed at any moment and started again commits exactly the
/// batches, with exactly the same float64 sums, that an uninterrupted run would. A file grows the
/// same way: more specs, languages or budget continue the run (`RunIdentity`), computing only the
/// documents it lacks; the work is planned first (`IngestPlan`), so progress counts only real work.
///
/// Per corpus document (BOS first, cut at `maxDocTokens` or the model's context if shorter, and at
/// the language's token budget):
/// held-out documents (a token budget per language from a fraction of documents chosen by content hash,
/// `heldOutPlan`) are stored with their token ids and not run; the others add to their language's neuron
/// statistics and hidden-state sums, and get summaries when asked (`storage`). Parallel snippets
/// are never held out (MEXA needs every item) and count like any other document, so a language's
/// statistics always cover exactly its documents that are not held out. Each lens prompt gets the
/// logit lens of its f32 states at once (one sgemm over all its layers and positions against the
/// unembedding, `LensDecoder`); its states are stored only with `lensStates`.
public final class Ingestor {
    public let options: IngestOptions
    public let corpus: Corpus
    public let prompts: [FewShotPrompt]
    /// The token sets the lens follows (English words, each lens language's keywords); empty without prompts.
    public let tokenSets: [TokenSet]
    let weights: ModelWeights
    let tokenizer: Tokenizer
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
            guard options.lensTop <= weights.config.vocabSize else {
                throw IngestError("--lens-top \(options.lensTop) is more than the vocabulary of \(weights.config.vocabSize)")
            }
            do {
                tokenSets = try TokenSet.lensSets(
                    texts: TokenSet.texts(of: tokenizer, vocab: weights.config.vocabSize), languages: languages,
                    words: URL(fileURLWithPath: options.lensWords),
                    keywordsDirectory: options.lensKeywords.map { URL(fileURLWithPath: $0) } ?? SharedFiles.url("data/paper/keywords"))
            } catch let e as ModelFileError {
                throw IngestError(e.description)
            }
        } else {
            prompts = []
            tokenSets = []
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
        /// Stopped by `shouldStop`: the documents and prompts computed since the last commit were discarded
        /// (the same command computes them again), and this many of the plan's were left to do.
        public var interrupted = false
        public var discarded = 0
        public var left = 0
        /// Process CPU seconds (all threads) spent decoding the lens of the prompts.
        public var lensCPUSeconds = 0.0
    }

    /// The run this ingest writes into (see `RunIdentity`): nothing is written or computed yet.
    public func chooseRun(in file: PolylensFile, allowNewRun: Bool) throws -> RunIdentity.Choice {
        let info = try RunProvenance.runInfo(weights: weights, modelPath: modelPath, tokenizerURL: tokenizerURL, options: options)
        return try RunIdentity.choose(for: info, among: try file.runs(), allowNewRun: allowNewRun, path: file.url.path)
    }

    /// Plans, then computes and commits. `choice` defaults to `chooseRun(allowNewRun: false)`; `planning(n, total)`
    /// follows the reading of the corpus documents, `progress` the work; `shouldStop`, asked before each document
    /// and prompt, ends the call early without committing the pending batch.
    public func run(into file: PolylensFile, choice: RunIdentity.Choice? = nil, threads: Int? = nil,
                    planning: ((Int, Int) -> Void)? = nil, progress: ((IngestProgress) -> Void)? = nil,
                    shouldStop: (() -> Bool)? = nil) throws -> Report {
        let config = weights.config
        let choice = try choice ?? chooseRun(in: file, allowNewRun: false)
        let committed = try choice.run.map { try file.documentKeys(run: $0) } ?? []
        let plan = try self.plan(committed: committed,
                                 spent: try choice.run.map { try file.corpusTokensPerLanguage(run: $0, includingHeldOut: heldOutCountsInBudget) } ?? [:],
                                 committedPrompts: try choice.run.map { try file.lensPromptKeys(run: $0) } ?? [],
                                 examined: planning)
        let run: Int64
        if let existing = choice.run {
            run = existing
            if choice.updatesParameters { try file.updateRunParameters(run: run, parametersJSON: choice.info.parametersJSON) }
        } else {
            run = try file.createRun(choice.info)
        }
        let transformer = try Transformer(weights, threads: threads)
        if options.lensStates, try file.unembedding(run: run) == nil {
            try file.storeUnembedding(run: run, finalNorm: try weights.tensor(.finalNorm).floats(),
                                      matrix: try weights.tensor(.output).floats(), vocab: config.vocabSize, dim: config.dim)
        }
        if !prompts.isEmpty { try file.storeTokenSets(run: run, tokenSets) }
        // Made only when a prompt is left to compute: the f32 unembedding is vocab × dim floats.
        var unembedding: Unembedding?

        var report = Report(run: run, documentsResumed: plan.resumedDocuments, promptsResumed: plan.resumedPrompts,
                            duplicates: plan.duplicates, empty: plan.empty, overBudget: plan.overBudget,
                            promptsTooLong: plan.promptsTooLong)
        let start = Date()
        var batch = PendingBatch(config: config, options: options)
        var state = IngestProgress(itemsDone: 0, itemsTotal: plan.items, tokensDone: 0, tokensTotal: plan.tokensToCompute,
                                   seconds: 0, documentsPerLanguage: [:])
        for key in committed { state.documentsPerLanguage[key.language, default: 0] += 1 }

        func flush() throws {
            guard !batch.isEmpty else { return }
            try file.commit(run: run, batch: batch.take())
        }
        func advance() {
            state.itemsDone += 1
            state.tokens.done = report.tokensComputed
            state.tokens.seconds = Date().timeIntervalSince(start)
            progress?(state)
        }
        func stopping() -> Bool {
            guard shouldStop?() == true else { return false }
            report.interrupted = true
            report.discarded = batch.documents.count + batch.prompts.count
            report.documentsCommitted -= batch.documents.count
            report.promptsCommitted -= batch.prompts.count
            report.heldOut -= batch.documents.filter(\.heldOut).count
            report.left = plan.items - state.itemsDone + report.discarded
            return true
        }

        for planned in plan.documents {
            if stopping() { break }
            let document = planned.document
            let tokens = try self.tokens(of: planned)
            let info = DocumentInfo(language: document.language, source: document.source, itemKey: document.itemKey,
                                    sha256: planned.key.sha256, bytes: document.bytes, tokens: tokens.count, heldOut: planned.heldOut,
                                    tokenIds: planned.heldOut ? tokens.map { Int32($0) } : nil)
            if planned.heldOut {
                batch.add(info, summaries: [], tokens: 0)
                report.heldOut += 1
            } else {
                let summarize = document.itemKey != nil || options.storage.corpusSummaries
                let summary = SummaryAccumulator(blocks: config.nLayers, dim: config.dim)
                var consumers: [TapConsumer] = (summarize ? [summary] : []) + [batch.statistics(for: document.language),
                                                                                batch.languageState(for: document.language)]
                if let activity = batch.activity(for: document.language) {
                    activity.begin(document: batch.documents.count, key: planned.key, tokens: tokens)
                    consumers.append(activity)
                }
                let taps = TapFanOut(consumers)
                _ = try transformer.forward(tokens, startPosition: 0, taps: taps, logits: .none)
                let summaries = summarize ? summary.summaries().filter { options.storage.poolings.contains($0.pooling) } : []
                batch.add(info, summaries: summaries, tokens: tokens.count)
                report.tokensComputed += tokens.count
            }
            report.documentsCommitted += 1
            state.documentsPerLanguage[document.language, default: 0] += 1
            if batch.isFull(options) { try flush() }
            advance()
        }

        for planned in plan.prompts where !report.interrupted {
            if stopping() { break }
            let prompt = planned.prompt, tokens = planned.tokens
            let collector = LensStateCollector(blocks: config.nLayers, dim: config.dim, firstPosition: planned.firstPosition, tokenCount: tokens.count)
            _ = try transformer.forward(tokens.map { Int($0) }, startPosition: 0, taps: collector, logits: .none)
            let first = planned.firstPosition
            if unembedding == nil { unembedding = try Unembedding(weights) }
            let next = collector.positions > 0 ? Array(tokens[(first + 1)...]) : []
            let lensStart = Self.processCPUSeconds()
            let columns = collector.states.withUnsafeBufferPointer {
                LensDecoder.decode($0, positions: collector.positions, next: next, unembedding: unembedding!, sets: tokenSets,
                                   topK: options.lensTop, threads: transformer.threads)
            }
            report.lensCPUSeconds += Self.processCPUSeconds() - lensStart
            let lensPrompt = LensPrompt(source: prompt.source, target: prompt.target, itemKey: prompt.itemKey, tokens: tokens,
                                        firstPosition: first, layers: collector.layers, dim: collector.dim,
                                        states: options.lensStates ? collector.states : [])
            batch.add(lensPrompt, result: LensPromptResult(prompt: lensPrompt, columns: columns), tokens: tokens.count)
            report.tokensComputed += tokens.count
            report.promptsCommitted += 1
            if batch.isFull(options) { try flush() }
            advance()
        }
        if !report.interrupted { try flush() }
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// The token ids of every forward pass `run` makes in a fresh file (documents not held out, then
    /// prompts), for measuring the bare engine on the same work.
    public func plannedForwardPasses() throws -> [[Int]] {
        let plan = try self.plan(committed: [], spent: [:], committedPrompts: [])
        return try plan.documents.filter { !$0.heldOut }.map { try tokens(of: $0) } + plan.prompts.map { $0.tokens.map { Int($0) } }
    }

    /// The study this ingest would make, counted from the corpus and prompts as `run` would select them
    /// (for `polylens estimate`): per-language figures are means over the corpus languages.
    public func studyShape() throws -> StudyShape {
        var shape = StudyShape(model: weights.config)
        var corpus: [String: (documents: Int, tokens: Int)] = [:]
        var parallel: (languages: Set<String>, items: Set<String>, documents: Int, tokens: Int) = ([], [], 0, 0)
        var heldOut = (documents: 0.0, tokens: 0.0), sourceCharacters = 0, documents = 0
        let plan = try self.plan(committed: [], spent: [:], committedPrompts: [], keeping: 0)
        for planned in plan.documents {
            let document = planned.document
            documents += 1
            sourceCharacters += document.source.utf8.count
            if let item = document.itemKey {
                parallel.languages.insert(document.language); parallel.items.insert(item)
                parallel.documents += 1; parallel.tokens += planned.tokenCount
            } else {
                corpus[document.language, default: (0, 0)].documents += 1
                corpus[document.language, default: (0, 0)].tokens += planned.tokenCount
                if planned.heldOut { heldOut.documents += 1; heldOut.tokens += Double(planned.tokenCount) }
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
        for planned in plan.prompts {
            pairs.insert(planned.prompt.source + "\u{0}" + planned.prompt.target)
            usable += 1; promptTokens += planned.tokens.count; positions += planned.tokens.count - 1 - planned.firstPosition
        }
        shape.lensPairs = pairs.count
        shape.lensItems = pairs.isEmpty ? 0 : Int((Double(usable) / Double(pairs.count)).rounded())
        if usable > 0 {
            shape.lensTokensPerPrompt = Double(promptTokens) / Double(usable)
            shape.lensPositionsPerPrompt = Double(positions) / Double(usable)
        }
        shape.heldOutFraction = options.heldOut
        shape.storage = options.storage
        shape.lensTop = options.lensTop
        shape.lensSets = prompts.isEmpty ? nil : tokenSets.count
        shape.activationHistograms = options.activationHistograms
        shape.contexts = options.contexts
        shape.embedUnembedding = options.lensStates
        shape.lensStateCodec = options.lensStates ? options.lensStateCodec : nil
        return shape
    }

    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
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
    let options: IngestOptions
    var documents: [DocumentInfo] = []
    var summaries: [(documentIndex: Int, summary: DocumentSummary)] = []
    var prompts: [LensPrompt] = []
    var results: [LensPromptResult] = []
    var accumulators: [String: NeuronStatsAccumulator] = [:]
    var languageStates: [String: LanguageStateAccumulator] = [:]
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

    mutating func languageState(for language: String) -> LanguageStateAccumulator {
        if let a = languageStates[language] { return a }
        let a = LanguageStateAccumulator(language: language, blocks: config.nLayers, dim: config.dim)
        languageStates[language] = a
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

    mutating func add(_ prompt: LensPrompt, result: LensPromptResult, tokens: Int) {
        prompts.append(prompt)
        results.append(result)
        self.tokens += tokens
    }

    mutating func take() -> IngestBatch {
        let stats = accumulators.sorted { $0.key < $1.key }.flatMap { $0.value.isEmpty ? [] : $0.value.stats }
        let active = activity.sorted { $0.key < $1.key }.map(\.value).filter { !$0.isEmpty }
        let delta = active.isEmpty ? nil : NeuronActivityDelta(shape: active[0].shape, histograms: active.flatMap(\.activationHistograms),
                                                               contexts: active.flatMap(\.contexts))
        var batch = IngestBatch(documents: documents, stats: stats, summaries: summaries, lensPrompts: prompts, lensResults: results,
                                activity: delta)
        batch.languageStates = languageStates.sorted { $0.key < $1.key }.flatMap { $0.value.isEmpty ? [] : $0.value.states }
        batch.summaryCodec = options.storage.summaryCodec
        batch.lensStateCodec = options.lensStateCodec
        self = PendingBatch(config: config, options: options)
        return batch
    }
}
