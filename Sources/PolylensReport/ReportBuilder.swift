import Foundation
import PolylensAnalysis
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// What the report computes with, beyond the defaults of each analysis.
public struct ReportOptions: Sendable {
    /// The ingest run to report (needed when the file holds several).
    public var run: Int64?
    public var lapeSelection: LAPESelection = .perLanguage(400)
    public var lapeQuantile = 0.95
    /// Parallel items per language for MEXA (the paper's 100).
    public var mexaItems = 100
    public var mexaPooling: Pooling = .weightedMean
    public var mexaIncludeSelf = false
    /// Layers drawn as MEXA heatmaps (default: first, middle, last).
    public var mexaHeatmapLayers: [Int]?
    /// Layers whose top lens tokens are listed (default: five evenly spaced, last included).
    public var lensLayers: [Int]?
    public var lensTop = 5
    /// Prompts per pair the lens decodes (the first, in stored order; nil: all). The lens costs
    /// prompts × positions × layers × vocabulary × dim per pair, hours for a 7B model over 42 pairs.
    public var lensPrompts: Int?
    /// The ablation run shown (default: the newest with recorded provenance).
    public var ablation: Int64?

    public init() {}
}

/// What the logit lens needs besides the file: the tokenizer for token texts (nil: ids are shown) and, only for a
/// file without lens results (decoding stored states), the model's reading of the residual stream and the word
/// lists of the token sets.
public struct LensContext: Sendable {
    public var unembedding: Unembedding?
    public var tokenizer: (any Tokenizer)?
    public var englishWords: Set<String>
    /// The paper's `keywords/` folder.
    public var keywordsDirectory: URL

    public init(unembedding: Unembedding?, tokenizer: (any Tokenizer)?, englishWords: Set<String>, keywordsDirectory: URL) {
        self.unembedding = unembedding; self.tokenizer = tokenizer; self.englishWords = englishWords
        self.keywordsDirectory = keywordsDirectory
    }
}

/// Fills `ReportData` from a Polylens file by running each analysis with its defaults. A section the
/// file has no data for becomes a "no data" note with the reason; an unreadable file is an error.
public enum ReportBuilder {
    /// Loads what the lens needs for a run (tokenizer; model and word lists only when `decode`: the file holds no
    /// lens results); called only when the file has lens prompts. A thrown error becomes the section's "no data" reason.
    public typealias LensLoader = (_ file: PolylensFile, _ run: Int64, _ info: RunInfo, _ decode: Bool) throws -> LensContext

    /// `progress` counts steps: LAPE, MEXA, each lens prompt decoded (most of the time), the ablation table.
    public static func build(file: PolylensFile, options: ReportOptions = ReportOptions(), reportVersion: String,
                             lensLoader: LensLoader? = nil, progress: ((WorkProgress) -> Void)? = nil) throws -> ReportData {
        let runs = try file.runs()
        var data = ReportData(title: file.url.lastPathComponent)
        if runs.isEmpty && options.run == nil {
            for id in ReportSectionID.allCases { data.absentReasons[id] = "the file records no ingest run." }
            return data
        }
        let runID = try file.resolveRun(options.run)
        guard let run = runs.first(where: { $0.id == runID }) else { throw PolylensFileError("\(file.url.path): there is no run \(runID)") }
        let stats = try file.neuronStats(run: run.id)
        data.provenance = try provenance(file: file, run: run, stats: stats, reportVersion: reportVersion)
        // The lens's steps are its summaries: one per pair, and the average over all pairs when there are several.
        let lensPairs = Set(try file.lensPromptKeys(run: run.id).map { LensPair(source: $0.source, target: $0.target) }).count
        let lensSteps = lensLoader == nil ? 0 : lensPairs + (lensPairs > 1 ? 1 : 0)
        let meter = ProgressMeter(task: "report", unit: "steps", total: 3 + lensSteps, report: progress)
        meter.advance(by: 0, detail: "LAPE")
        try section(.lape, &data) { try lape(stats, options) }.map { data.lape = $0 }
        if data.lape != nil { data.lape?.cards = try neuronCards(file, run: run, stats: stats, options) }
        meter.advance(by: 1, detail: "MEXA")
        try section(.mexa, &data) { try mexa(file, run: run.id, options) }.map { data.mexa = $0 }
        meter.advance(by: 1, detail: "logit lens")
        try section(.lens, &data) { try lensSection(file, run: run, lensLoader, options, meter) }.map { data.lens = $0 }
        meter.advance(by: 0, detail: "ablation")
        try section(.ablation, &data) { try ablation(file, run: run.id, options) }.map { data.ablation = $0 }
        meter.advance(by: meter.progress.total - meter.progress.done, detail: "")
        return data
    }

    /// Runs one section's analysis; an analysis that finds no data gives a reason instead of a section. A file that
    /// cannot be read (a bad blob, a value of the wrong type) fails the report rather than hiding in a note.
    private static func section<T>(_ id: ReportSectionID, _ data: inout ReportData, _ body: () throws -> T?) throws -> T? {
        do {
            return try body()
        } catch let error as PolylensFileError {
            throw error
        } catch let error as AnalysisError {
            data.absentReasons[id] = error.description
            return nil
        } catch {
            data.absentReasons[id] = "\(error)"
            return nil
        }
    }

    static func provenance(file: PolylensFile, run: (id: Int64, info: RunInfo), stats: [NeuronStats],
                           reportVersion: String) throws -> ProvenanceSection {
        let documents = try file.documents(run: run.id)
        var counted: [String: Int64] = [:]
        for s in stats where s.layer == 0 { counted[s.language] = s.tokens }
        let languages = Set(documents.map(\.language)).union(counted.keys).sorted()
        let corpora = languages.map { lang -> ProvenanceSection.Corpus in
            let docs = documents.filter { $0.language == lang }
            let heldOut = docs.filter(\.heldOut)
            return .init(language: lang, documents: docs.count - heldOut.count,
                         tokens: Int(counted[lang] ?? 0), heldOutDocuments: heldOut.count,
                         heldOutTokens: heldOut.map(\.tokens).reduce(0, +),
                         parallelDocuments: docs.filter { $0.itemKey != nil }.count)
        }
        let info = run.info
        return ProvenanceSection(
            file: file.url.path, modelPath: info.modelPath, modelFormat: info.modelFormat, modelSHA256: info.modelSHA256,
            tokenizerPath: info.tokenizerPath, tokenizerSHA256: info.tokenizerSHA256,
            architecture: flatten(json: info.architectureJSON), parameters: flatten(json: info.parametersJSON),
            corpora: corpora, fileVersion: info.polylensVersion, reportVersion: reportVersion)
    }

    /// A JSON object as sorted name–value pairs (nested values as compact JSON); other JSON as one pair.
    static func flatten(json: String) -> [(String, String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]),
              let dictionary = object as? [String: Any] else {
            return json.isEmpty ? [] : [("json", json)]
        }
        return dictionary.keys.sorted().map { key in
            let value = dictionary[key]!
            switch value {
            case let s as String: return (key, s)
            case is NSNull: return (key, "null")
            // JSON booleans arrive as NSNumbers of type "c" (char).
            case let n as NSNumber: return (key, String(cString: n.objCType) == "c" ? (n.boolValue ? "true" : "false") : "\(n)")
            default:
                let text = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]))
                    .flatMap { String(data: $0, encoding: .utf8) } ?? "\(value)"
                return (key, text)
            }
        }
    }

    static func lape(_ stats: [NeuronStats], _ options: ReportOptions) throws -> LapeSection? {
        guard !stats.isEmpty else { throw AnalysisError("the file holds no neuron statistics.") }
        let result = try LAPE.run(try ActivationProbabilities(stats: stats), selection: options.lapeSelection,
                                  quantile: options.lapeQuantile)
        var shared = Set(result.selected.first ?? [])
        for set in result.selected.dropFirst() { shared.formIntersection(set) }
        let selection: String
        switch options.lapeSelection {
        case .perLanguage(let n): selection = "per language, the \(n) lowest-entropy neurons above τ (the paper's)"
        case .topRate(let r): selection = "the lowest-entropy \(String(format: "%g", r * 100)) % of all neurons (the original)"
        }
        var tokens: [String: Int64] = [:]
        for s in stats where s.layer == 0 { tokens[s.language] = s.tokens }
        var section = LapeSection(languages: result.languages, layers: result.layers, countsPerLayer: result.countsPerLayer,
                                  overlap: result.overlap, sharedByAll: shared.sorted().map { ($0.layer, $0.neuron) },
                                  tau: result.tau, quantile: result.quantile, selection: selection)
        section.warnings = LAPEWarnings.of(result, tokens: tokens)
        return section
    }

    /// The LAPE cards (issue 12), decoded with the run's tokenizer when it is where the run recorded it.
    static func neuronCards(_ file: PolylensFile, run: (id: Int64, info: RunInfo), stats: [NeuronStats],
                            _ options: ReportOptions) throws -> NeuronCardsSection? {
        let p = try ActivationProbabilities(stats: stats)
        let result = try LAPE.run(p, selection: options.lapeSelection, quantile: options.lapeQuantile)
        let tokenizer = try? TokenizerLoader.load(URL(fileURLWithPath: run.info.tokenizerPath))
        return try NeuronCardsSection.build(file: file, run: run.id, lape: result, probabilities: p, tokenizer: tokenizer)
    }

    static func mexa(_ file: PolylensFile, run: Int64, _ options: ReportOptions) throws -> MexaSection? {
        let summaries = try file.summaries(run: run, pooling: options.mexaPooling)
        guard summaries.contains(where: { $0.document.itemKey != nil }) else {
            let stored = try file.storedPoolings(run: run).map(\.rawValue)
            throw AnalysisError("the file holds no pooled states of parallel snippets (\(options.mexaPooling.rawValue) pooling; stored: \(stored.isEmpty ? "none" : stored.joined(separator: ", "))).")
        }
        let result = try MEXA.run(try ParallelEmbeddings(summaries, items: options.mexaItems))
        let averages = result.pivotAverages(includeSelf: options.mexaIncludeSelf)
        let pivots = result.languages.indices.map { p in averages.map { $0[p] } }
        let layers = result.layers
        let heatmaps = options.mexaHeatmapLayers?.filter(layers.contains)
            ?? Array(Set([layers.first, layers[safe: layers.count / 2], layers.last].compactMap { $0 })).sorted()
        let interval = { (i: BootstrapInterval) in ReportInterval(low: i.low, high: i.high) }
        let pivotIntervals = result.pivotAverageIntervals(includeSelf: options.mexaIncludeSelf)
        let method = BootstrapInterval.standardMethod
        return MexaSection(languages: result.languages, layers: layers, scores: result.scores, heatmapLayers: heatmaps,
                           pivotAverages: pivots, includesSelf: options.mexaIncludeSelf,
                           pooling: options.mexaPooling == .last ? "last" : "weighted", items: result.items.count,
                           scoreIntervals: result.intervals().map { $0.map { $0.map(interval) } },
                           pivotIntervals: result.languages.indices.map { p in pivotIntervals.map { interval($0[p]) } },
                           intervalMethod: "\(method) over the \(result.items.count) items, per pair and layer and for the pivot averages")
    }

    static func lensSection(_ file: PolylensFile, run: (id: Int64, info: RunInfo), _ loader: LensLoader?,
                            _ options: ReportOptions, _ meter: ProgressMeter? = nil) throws -> LensSection? {
        let keys = try file.lensPromptKeys(run: run.id)
        guard !keys.isEmpty else { throw AnalysisError("the file holds no logit-lens prompts (ingest with the parallel snippets).") }
        guard let loader else { throw AnalysisError("no model was given to decode the stored states.") }
        let stored = try file.hasLensResults(run: run.id)
        let context = try loader(file, run.id, run.info, !stored)
        let (results, sets) = try stored ? (try file.lensResults(run: run.id), try file.tokenSets(run: run.id))
                                         : decode(file, run: run.id, context, options)
        // The page shows vocabulary pieces, which keep the leading space that SentencePiece's decode drops.
        let known = context.tokenizer?.vocabSize ?? 0
        func piece(_ id: Int32) -> String {
            Int(id) < known ? ReportNames.readablePiece(context.tokenizer!.piece(Int(id))) : "#\(id)"
        }
        let pairs = Set(results.map { LensPair(source: $0.source, target: $0.target) }).sorted { ($0.source, $0.target) < ($1.source, $1.target) }
        func section(_ chosen: [LensPromptResult], source: String, target: String, roleNames: [String], label: String? = nil) throws -> LensSection.Pair {
            let prompts = firstPrompts(options.lensPrompts, of: chosen) { LensPair(source: $0.source, target: $0.target) }
            let summary = try LensSummary.of(prompts, sets: sets)
            let layers = summary.layers.map(\.layer)
            var curves = LensRole.allCases.map { role in
                LensSection.Curve(name: roleNames[role.rawValue], series: .role(role.rawValue),
                                  values: summary.layers.map { $0.roleMass[role.rawValue].estimate },
                                  low: summary.layers.map { $0.roleMass[role.rawValue].low }, high: summary.layers.map { $0.roleMass[role.rawValue].high })
            }.filter { $0.values.contains(where: \.isFinite) }
            curves.append(.init(name: "correct next token", series: .correctToken, values: summary.layers.map(\.correctProbability.estimate),
                                low: summary.layers.map(\.correctProbability.low), high: summary.layers.map(\.correctProbability.high)))
            let shown = options.lensLayers?.filter(layers.contains) ?? evenlySpaced(layers, count: 5)
            return .init(source: source, target: target, prompts: summary.prompts, positions: summary.layers.first?.positions ?? 0,
                         layers: layers, curves: curves,
                         topTokens: shown.map { l in
                             .init(layer: l, tokens: LensSummary.topTokens(prompts, layer: l, count: options.lensTop).map { (piece($0.id), $0.probability) })
                         }, label: label)
        }
        let out = try pairs.map { p in
            defer { meter?.advance(by: 1, detail: "logit lens \(p.source) → \(p.target)") }
            return try section(results.filter { $0.source == p.source && $0.target == p.target }, source: p.source, target: p.target,
                               roleNames: ["English words", "\(p.target) keywords", "\(p.source) keywords"])
        }
        let average = pairs.count > 1
            ? try section(results, source: "all", target: "all", roleNames: ["English words", "target keywords", "source keywords"],
                          label: "Average over all \(pairs.count) pairs")
            : nil
        meter?.advance(by: pairs.count > 1 ? 1 : 0, detail: "logit lens average")
        let english = sets.first { $0.kind == TokenSet.english }
        let interval = BootstrapInterval(estimate: .nan, low: .nan, high: .nan, level: 0.95, resamples: Bootstrap.defaultResamples).method
        return LensSection(pairs: out, average: average, method: "Mean over prompts (each prompt's target positions averaged "
                           + "first) of the probability the logit lens (final RMSNorm, then unembedding) gives to each token set: "
                           + "single-token English words (\(english?.ids.count ?? 0) tokens), tokens tagged with the target's and "
                           + "the source's keywords and built-ins, and the correct next token; read from "
                           + (stored ? "the results stored at ingest" : "the stored states") + ". Intervals (CSV): \(interval) over prompts. "
                           + "Top tokens: mean probability over positions, counted where the token is in the top \(options.lensTop)."
                           + (TokenSet.missingKeywordsNote(sets, among: pairs.flatMap { [$0.source, $0.target] })
                                .map { " " + $0.prefix(1).uppercased() + $0.dropFirst() + "." } ?? ""))
    }

    /// Files without lens results: the stored states decoded with the context's unembedding and token sets.
    static func decode(_ file: PolylensFile, run: Int64, _ context: LensContext, _ options: ReportOptions) throws -> ([LensPromptResult], [TokenSet]) {
        guard let u = context.unembedding, let tokenizer = context.tokenizer else {
            throw AnalysisError("the file holds no lens results and the model or tokenizer to decode its states was not loaded.")
        }
        let prompts = firstPrompts(options.lensPrompts, of: try file.lensPrompts(run: run).filter { !$0.states.isEmpty }) {
            LensPair(source: $0.source, target: $0.target)
        }
        guard !prompts.isEmpty else { throw AnalysisError("the file holds neither lens results nor lens states.") }
        let sets = try TokenSet.lensSets(texts: TokenSet.texts(of: tokenizer, vocab: u.vocab),
                                         languages: Set(prompts.flatMap { [$0.source, $0.target] }).sorted(),
                                         words: context.englishWords, wordList: "the English word list", keywordsDirectory: context.keywordsDirectory)
        return (try LogitLens.run(prompts, unembedding: u, sets: sets, topK: max(options.lensTop, 1)), sets)
    }

    /// The first `n` prompts of each pair, in stored order (all when nil).
    static func firstPrompts<T>(_ n: Int?, of prompts: [T], pair: (T) -> LensPair) -> [T] {
        guard let n else { return prompts }
        var seen: [LensPair: Int] = [:]
        return prompts.filter { p in
            seen[pair(p), default: 0] += 1
            return seen[pair(p)]! <= n
        }
    }

    static func evenlySpaced(_ values: [Int], count: Int) -> [Int] {
        guard values.count > count, count > 1 else { return values }
        return Array(Set((0..<count).map { values[$0 * (values.count - 1) / (count - 1)] })).sorted()
    }

    /// One ablation run, never a mix: `options.ablation`, else the newest run with recorded provenance, else (a
    /// file from before schema version 5) the rows of the most recently ablated set, marked as unrecorded.
    static func ablation(_ file: PolylensFile, run: Int64, _ options: ReportOptions) throws -> AblationSection? {
        let runs = try file.ablationRuns(run: run)
        if let wanted = options.ablation, !runs.contains(where: { $0.id == wanted }) {
            throw AnalysisError("the file has no ablation #\(wanted) in run \(run) (it has: \(runs.compactMap(\.id).map { "#\($0)" }.joined(separator: ", ")))")
        }
        guard let shown = options.ablation.flatMap({ id in runs.first { $0.id == id } }) ?? runs.last, let id = shown.id else {
            return try unrecordedAblation(file, run: run)
        }
        let summary = AblationSummary(stored: shown, documents: try file.ablationDocuments(ablation: id))
        let sets = try file.neuronSetRecords(run: run)
        let status = sets.first { $0.name == shown.setName }.map { $0.contentSHA256 == shown.setSHA256 ? "saved" : "replaced since" } ?? "deleted since"
        var entries: [AblationSection.Entry] = []
        for c in summary.cells {
            entries.append(.init(ablated: c.ablated, evaluated: c.evaluated, control: false, tokens: c.tokens, nllBefore: c.nllBefore,
                                 nllAfter: c.nllAfter, interval: ReportInterval(low: c.change.low, high: c.change.high)))
        }
        for c in summary.cells where c.control.seeds > 0 {
            entries.append(.init(ablated: c.ablated, evaluated: c.evaluated, control: true, tokens: c.tokens, nllBefore: c.nllBefore,
                                 nllAfter: c.nllBefore + c.control.mean, spread: c.control.standardDeviation, seeds: c.control.seeds))
        }
        let seeds = summary.controlSeeds.map(String.init).joined(separator: ", ")
        return AblationSection(
            setName: shown.setName, setParameters: shown.setParametersJSON,
            provenance: .init(ablationID: id, setSHA256: shown.setSHA256, setStatus: status, settings: shown.parametersJSON,
                              createdAt: shown.createdAt ?? "", otherRuns: runs.compactMap(\.id).filter { $0 != id }),
            intervalMethod: "ΔNLL per token, \(summary.intervalMethod) over the held-out documents; "
                + (seeds.isEmpty ? "no random control" : "\(ControlSpread.method) (seeds \(seeds))"),
            entries: entries)
    }

    /// Rows without an ablation run: one set's, the latest row of each measurement, with no claim about how
    /// the set was selected (its current parameters may describe another selection).
    static func unrecordedAblation(_ file: PolylensFile, run: Int64) throws -> AblationSection? {
        let results = try file.ablationResults(run: run).filter { $0.ablationID == nil }
        guard let setName = results.last?.setName else {
            throw AnalysisError("the file holds no ablation results (run `polylens ablate FILE --set NAME --model PATH`).")
        }
        var latest: [String: AblationResult] = [:]
        var order: [String] = []
        for r in results where r.setName == setName {
            let key = "\(r.ablatedLanguage)\u{0}\(r.evalLanguage)\u{0}\(r.control)"
            if latest[key] == nil { order.append(key) }
            latest[key] = r
        }
        return AblationSection(setName: setName, entries: order.compactMap { latest[$0] }.map {
            .init(ablated: $0.ablatedLanguage, evaluated: $0.evalLanguage, control: $0.control, tokens: $0.tokens,
                  nllBefore: $0.nllBefore, nllAfter: $0.nllAfter)
        })
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
