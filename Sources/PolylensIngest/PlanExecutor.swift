import Foundation
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// Runs the model over planned token ids and commits every row ingest writes for them: the one inner
/// loop of `polylens ingest` (its in-memory plan: one shard, written into the target file) and of
/// `polylens execute` (a shard plan file, written into its copy). Nothing here decides what to compute:
/// the plan's token ids are run as they are, held-out documents stored with their ids and not run.
///
/// Batches are cut at fixed counts (never by time), so a resumed run commits exactly the batches, with
/// exactly the same float64 sums, that an uninterrupted one would.
struct PlanExecutor {
    let weights: ModelWeights
    let options: IngestOptions
    /// The token sets the lens follows (stored with the run; empty without prompts).
    let tokenSets: [TokenSet]

    /// Computes and commits `plan` into `run` of `file`, adding to `report`. `alreadyPerLanguage` counts the
    /// documents the run held before (for progress); `tokens` gives a planned document's ids; `shouldStop`,
    /// asked before each document and prompt, ends the call early without committing the pending batch.
    func execute(_ plan: IngestPlan, into file: PolylensFile, run: Int64, report: inout Ingestor.Report, threads: Int?,
                 alreadyPerLanguage: [String: Int], tokens: (IngestPlan.Document) throws -> [Int],
                 progress: ((IngestProgress) -> Void)?, shouldStop: (() -> Bool)?) throws {
        let config = weights.config
        let transformer = try Transformer(weights, threads: threads)
        if options.lensStates, try file.unembedding(run: run) == nil {
            try file.storeUnembedding(run: run, finalNorm: try weights.tensor(.finalNorm).floats(),
                                      matrix: try weights.tensor(.output).floats(), vocab: config.vocabSize, dim: config.dim)
        }
        if !tokenSets.isEmpty { try file.storeTokenSets(run: run, tokenSets) }
        // Made only when a prompt is left to compute: the f32 unembedding is vocab × dim floats.
        var unembedding: Unembedding?

        let start = Date()
        var batch = PendingBatch(config: config, options: options)
        var state = IngestProgress(itemsDone: 0, itemsTotal: plan.items, tokensDone: 0, tokensTotal: plan.tokensToCompute,
                                   seconds: 0, documentsPerLanguage: [:])
        state.documentsPerLanguage = alreadyPerLanguage

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
            let tokens = try tokens(planned)
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
            let tokens = planned.tokens
            let collector = LensStateCollector(blocks: config.nLayers, dim: config.dim, firstPosition: planned.firstPosition, tokenCount: tokens.count)
            _ = try transformer.forward(tokens.map { Int($0) }, startPosition: 0, taps: collector, logits: .none)
            let first = planned.firstPosition
            if unembedding == nil { unembedding = try Unembedding(weights) }
            let next = collector.positions > 0 ? Array(tokens[(first + 1)...]) : []
            let lensStart = Ingestor.processCPUSeconds()
            let columns = collector.states.withUnsafeBufferPointer {
                LensDecoder.decode($0, positions: collector.positions, next: next, unembedding: unembedding!, sets: tokenSets,
                                   topK: options.lensTop, threads: transformer.threads)
            }
            report.lensCPUSeconds += Ingestor.processCPUSeconds() - lensStart
            let lensPrompt = LensPrompt(source: planned.source, target: planned.target, itemKey: planned.itemKey, tokens: tokens,
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
        self = PendingBatch(config: config, options: options)
        return batch
    }
}
