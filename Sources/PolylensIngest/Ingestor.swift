import Foundation
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// Runs the model once over every document and prompt and commits what the analyses need: plans
/// (`IngestPlan`, in memory, one shard), then executes the plan into the target file (`PlanExecutor`,
/// the same loop `polylens execute` runs over a shard plan file).
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
    let modelPath: String
    let tokenizerURL: URL

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
        var report = Report(run: run, documentsResumed: plan.resumedDocuments, promptsResumed: plan.resumedPrompts,
                            duplicates: plan.duplicates, empty: plan.empty, overBudget: plan.overBudget,
                            promptsTooLong: plan.promptsTooLong)
        let executor = PlanExecutor(weights: weights, options: options, tokenSets: tokenSets)
        try executor.execute(plan, into: file, run: run, report: &report, threads: threads,
                             alreadyPerLanguage: committed.reduce(into: [:]) { $0[$1.language, default: 0] += 1 },
                             tokens: self.tokens(of:), progress: progress, shouldStop: shouldStop)
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
            pairs.insert(planned.source + "\u{0}" + planned.target)
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
        shape.lensStateCodec = options.lensStates ? .f16 : nil
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
