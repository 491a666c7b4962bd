import Foundation
import GRDB
import PolylensAnalysis
import PolylensEngine
import PolylensModel
@testable import PolylensReport
import PolylensStore
import PolylensTokenizer
import XCTest

/// A fixed eight-token vocabulary, enough to give the lens's token sets known members.
private final class EightTokens: Tokenizer, @unchecked Sendable {
    static let vocabulary = ["<s>", " the", "if", " for", "def", "int", " x", "\n"]
    var vocabSize: Int { Self.vocabulary.count }
    var bosId: Int? { 0 }
    var eosId: Int? { nil }
    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] { [] }
    func decode(_ ids: [Int]) -> String { ids.map { Self.vocabulary[$0] }.joined() }
    func piece(_ id: Int) -> String { Self.vocabulary[id] }
}

final class ReportBuilderTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("report-builder-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private let info = RunInfo(modelPath: "model.gguf", modelFormat: "gguf", modelSHA256: String(repeating: "a", count: 64),
                               tokenizerPath: "tok.model", tokenizerSHA256: String(repeating: "b", count: 64),
                               architectureJSON: #"{"dim":4,"n_layers":2,"rope":{"theta":10000}}"#,
                               parametersJSON: #"{"max_tokens":4096,"held_out":0.1}"#, polylensVersion: "0.0.9")

    /// Activation probabilities (per 100 tokens) chosen so that, at quantile 0.75, τ = 0.2 (the 18th of the
    /// 24 sorted values) and the neurons above τ are: C only 0:0 and 1:1, Python only 0:2 and 1:3, both 0:4.
    private static let active: [String: [[Int64]]] = [
        "C": [[90, 10, 0, 5, 70, 0], [10, 85, 0, 0, 20, 0]],
        "Python": [[0, 10, 80, 5, 70, 0], [10, 0, 0, 75, 20, 0]],
    ]

    private func document(_ language: String, _ name: String, item: String? = nil, tokens: Int = 10,
                          heldOut: Bool = false) -> DocumentInfo {
        DocumentInfo(language: language, source: "\(language)/\(name)", itemKey: item,
                     sha256: String(repeating: "0", count: 48) + String(format: "%016x", abs(name.hashValue ^ language.hashValue)),
                     bytes: 50, tokens: tokens, heldOut: heldOut,
                     tokenIds: heldOut ? (0..<tokens).map { Int32($0 % 8) } : nil)
    }

    /// Layer 0 gives every item of a language the same vector (no item is the strict best match: MEXA 0);
    /// layers 1 and 2 give item i the direction e_i in both languages (MEXA 1).
    private func summary(item: Int, language: Int) -> DocumentSummary {
        var values = [Float](repeating: 0, count: 3 * 4)
        values[language] = 1
        for layer in 1...2 { values[layer * 4 + item] = 1; values[layer * 4 + 3] = 0.1 * Float(language) }
        return DocumentSummary(pooling: .weightedMean, layers: 3, dim: 4, values: values)
    }

    private func makeFile(full: Bool) throws -> PolylensFile {
        let file = try PolylensFile.create(directory.appendingPathComponent(full ? "full.polylens" : "bare.polylens"))
        let run = try file.beginRun(info)
        guard full else { return file }
        var batch = IngestBatch()
        for (k, language) in ["C", "Python"].enumerated() {
            for layer in 0..<2 {
                let active = Self.active[language]![layer]
                batch.stats.append(NeuronStats(language: language, layer: layer, tokens: 100, active: active,
                                               sum: active.map(Double.init), sumSquares: active.map(Double.init),
                                               max: active.map { _ in 1 }))
            }
            batch.documents.append(document(language, "corpus", tokens: 70))
            batch.documents.append(document(language, "held-out", tokens: 12, heldOut: true))
            for item in 0..<3 {
                batch.summaries.append((batch.documents.count, summary(item: item, language: k)))
                batch.documents.append(document(language, "item\(item)", item: "\(item)"))
            }
        }
        // One C→Python prompt whose layer-0 states are zero: the lens then reads a uniform distribution.
        var states = [Float](repeating: 0, count: 3 * 3 * 4)
        for i in 12..<states.count { states[i] = Float(i % 5) - 2 }
        batch.lensPrompts.append(LensPrompt(source: "C", target: "Python", itemKey: "0", tokens: [0, 2, 4, 7, 4, 1],
                                            firstPosition: 2, layers: 3, dim: 4, states: states))
        try file.commit(run: run, batch: batch)
        try file.saveNeuronSet(run: run, name: "lape", neurons: ["C": [NeuronRef(layer: 0, neuron: 0)]],
                               parametersJSON: #"{"per_language":3}"#)
        for (setName, delta) in [("old", 9.0), ("lape", 0.0)] {
            for a in ["C", "Python"] {
                for e in ["C", "Python"] {
                    try file.saveAblationResult(AblationResult(run: run, setName: setName, control: false, controlSeed: nil,
                                                               ablatedLanguage: a, evalLanguage: e, tokens: 11,
                                                               nllBefore: 2, nllAfter: 2 + delta + (a == e ? 0.5 : 0.1)))
                    try file.saveAblationResult(AblationResult(run: run, setName: setName, control: true, controlSeed: 7,
                                                               ablatedLanguage: a, evalLanguage: e, tokens: 11,
                                                               nllBefore: 2, nllAfter: 2.05))
                }
            }
        }
        return file
    }

    private func lensContext() throws -> LensContext {
        let matrix: [Float] = (0..<32).map { Float(($0 * 7) % 11) / 5 - 1 }
        return LensContext(unembedding: try Unembedding(finalNorm: [1, 1, 1, 1], matrix: matrix, vocab: 8, dim: 4, eps: 1e-5),
                           tokenizer: EightTokens(), englishWords: ["the", "for"],
                           keywordsDirectory: SharedFiles.url("data/paper/keywords"))
    }

    private var options: ReportOptions {
        var o = ReportOptions()
        o.lapeSelection = .perLanguage(3)
        o.lapeQuantile = 0.75
        o.lensTop = 3
        return o
    }

    func testEverySectionComesFromTheFile() throws {
        let file = try makeFile(full: true)
        let context = try lensContext()
        var loadedRun: Int64?
        let data = try ReportBuilder.build(file: file, options: options, reportVersion: "9.9") { _, run, info, decode in
            XCTAssertTrue(decode)
            XCTAssertEqual(info.modelPath, "model.gguf")
            loadedRun = run
            return context
        }
        XCTAssertEqual(loadedRun, 1)
        XCTAssertEqual(data.absentReasons, [:])

        let provenance = try XCTUnwrap(data.provenance)
        XCTAssertEqual(provenance.modelSHA256, info.modelSHA256)
        XCTAssertEqual(provenance.fileVersion, "0.0.9")
        XCTAssertEqual(provenance.reportVersion, "9.9")
        XCTAssertEqual(provenance.architecture.map(\.0), ["dim", "n_layers", "rope"])
        XCTAssertEqual(provenance.architecture.last?.1, #"{"theta":10000}"#)
        XCTAssertEqual(provenance.corpora, [
            .init(language: "C", documents: 4, tokens: 100, heldOutDocuments: 1, heldOutTokens: 12, parallelDocuments: 3),
            .init(language: "Python", documents: 4, tokens: 100, heldOutDocuments: 1, heldOutTokens: 12, parallelDocuments: 3),
        ])

        let lape = try XCTUnwrap(data.lape)
        XCTAssertEqual(lape.tau, 0.2, accuracy: 1e-12)
        XCTAssertEqual(lape.countsPerLayer, [[2, 1], [2, 1]])
        XCTAssertEqual(lape.overlap, [[3, 1], [1, 3]])
        XCTAssertEqual(lape.sharedByAll.map { [$0.layer, $0.neuron] }, [[0, 4]])
        XCTAssertEqual(lape.warnings, ["1 neuron is selected for every language: not specific to any"])

        let mexa = try XCTUnwrap(data.mexa)
        XCTAssertEqual(mexa.languages, ["C", "Python"])
        XCTAssertEqual(mexa.layers, [0, 1, 2])
        XCTAssertEqual(mexa.items, 3)
        XCTAssertEqual(mexa.scores.map { $0[0][1] }, [0, 1, 1])
        XCTAssertEqual(mexa.pivotAverages, [[0, 1, 1], [0, 1, 1]], "self-pair excluded: the one other language")
        XCTAssertEqual(mexa.heatmapLayers, [0, 1, 2])

        let lens = try XCTUnwrap(data.lens)
        XCTAssertEqual(lens.pairs.count, 1)
        let pair = lens.pairs[0]
        XCTAssertEqual([pair.source, pair.target, "\(pair.prompts)", "\(pair.positions)"], ["C", "Python", "1", "3"])
        XCTAssertEqual(pair.curves.map(\.name), ["English words", "Python keywords", "C keywords", "correct next token"])
        // Zero states at layer 0: every token has probability 1/8. English: " the" (" for" is a keyword); Python: "if",
        // " for", "def" and the built-in "int"; C: "if", " for", "int".
        XCTAssertEqual(pair.curves.map { $0.values[0] }, [1.0 / 8, 4.0 / 8, 3.0 / 8, 1.0 / 8], accuracy: 1e-5)
        for curve in pair.curves { XCTAssertTrue(curve.values.allSatisfy { $0 >= 0 && $0 <= 1 }) }
        XCTAssertEqual(pair.topTokens.map(\.layer), [0, 1, 2])
        XCTAssertEqual(pair.topTokens[0].tokens.map(\.probability), [1.0 / 8, 1.0 / 8, 1.0 / 8], accuracy: 1e-5)
        XCTAssertEqual(pair.topTokens[0].tokens.map(\.token), ["<s>", " the", "if"], "ties go to the lower id")

        let ablation = try XCTUnwrap(data.ablation)
        XCTAssertEqual(ablation.setName, "lape")
        XCTAssertNil(ablation.setParameters, "unrecorded rows: the set saved now may not be the one they measured")
        XCTAssertNil(ablation.provenance)
        XCTAssertEqual(ablation.entries.count, 8)
        XCTAssertEqual(ablation.changes(control: false), [[0.5, 0.1], [0.1, 0.5]].map { $0 }, accuracy: 1e-12)

        let page = try XMLTree.parse(HTMLReport.render(data))
        XCTAssertTrue(page.elements("p", class: "no-data").isEmpty)
        XCTAssertEqual(page.elements("svg").count, 1 + (1 + 3) + 2 + (2 + 1),
                       "lens, MEXA pivots + 3 heatmaps, LAPE bars + overlap, ablation ×2 + own against control")
    }

    /// Two recorded ablation runs of differently selected sets under one name, plus unrecorded rows: the report shows
    /// exactly one run, says which set (hash, parameters) and settings, and its intervals come from its documents.
    func testTheAblationSectionShowsOneRecordedRunWithItsProvenance() throws {
        let file = try makeFile(full: true)
        let run = try XCTUnwrap(try file.runs().first?.id)
        let held = try ["C", "Python"].flatMap { try file.heldOutDocuments(run: run, language: $0) }
        func ablate(_ set: [String: [NeuronRef]], parameters: String, shift: Double) throws -> Int64 {
            let hash = try file.saveNeuronSet(run: run, name: "lape", neurons: set, parametersJSON: parameters, replace: true)
            let ablation = AblationRun(run: run, setName: "lape", setSHA256: hash, setParametersJSON: parameters,
                                       parametersJSON: #"{"control_seeds":[0,1]}"#)
            var documents: [AblationDocumentResult] = []
            for a in ["C", "Python"] {
                for (seed, delta) in [(nil, shift), (Int64(0), 0.01), (Int64(1), 0.03)] as [(Int64?, Double)] {
                    documents += held.map { d in
                        AblationDocumentResult(ablatedLanguage: a, controlSeed: seed, document: d.id, evalLanguage: d.document.language,
                                               tokens: d.document.tokens - 1, nllBefore: 2, nllAfter: 2 + delta)
                    }
                }
            }
            return try file.saveAblation(ablation, results: [], documents: documents)
        }
        let first = try ablate(["C": [NeuronRef(layer: 0, neuron: 0)]], parameters: #"{"value":3}"#, shift: 0.7)
        let second = try ablate(["C": [NeuronRef(layer: 1, neuron: 2)]], parameters: #"{"value":9}"#, shift: 0.2)

        let ablation = try XCTUnwrap(try ReportBuilder.build(file: file, options: options, reportVersion: "9.9").ablation)
        let provenance = try XCTUnwrap(ablation.provenance)
        XCTAssertEqual(provenance.ablationID, second)
        XCTAssertEqual(provenance.setStatus, "saved")
        XCTAssertEqual(provenance.otherRuns, [first])
        XCTAssertEqual(ablation.setParameters, #"{"value":9}"#)
        XCTAssertEqual(ablation.entries.filter { !$0.control }.map(\.change), [Double](repeating: 0.2, count: 4), accuracy: 1e-12)
        // Every document moved by 0.2: the interval over documents is that point; the controls, 0.01 and 0.03.
        for e in ablation.entries where !e.control { XCTAssertEqual([e.interval.low, e.interval.high], [0.2, 0.2], accuracy: 1e-12) }
        for e in ablation.entries where e.control {
            XCTAssertEqual(e.change, 0.02, accuracy: 1e-12)
            XCTAssertEqual(e.spread, 0.02.squareRoot() * 0.1, accuracy: 1e-12)  // sd of {0.01, 0.03}, n − 1
            XCTAssertEqual(e.seeds, 2)
        }
        XCTAssertTrue(ablation.intervalMethod?.contains("percentile bootstrap, 2000 resamples, 95% interval") ?? false)

        var o = options
        o.ablation = first
        let older = try XCTUnwrap(try ReportBuilder.build(file: file, options: o, reportVersion: "9.9").ablation)
        XCTAssertEqual(older.provenance?.setStatus, "replaced since")
        XCTAssertEqual(older.setParameters, #"{"value":3}"#, "the parameters of the set it ablated, not of today's")
        XCTAssertEqual(older.entries.filter { !$0.control }.map(\.change), [Double](repeating: 0.7, count: 4), accuracy: 1e-12)
        o.ablation = 99
        let missing = try ReportBuilder.build(file: file, options: o, reportVersion: "9.9")
        XCTAssertNil(missing.ablation)
        XCTAssertTrue(missing.absentReasons[.ablation]?.contains("no ablation #99") ?? false)

        let page = try XMLTree.parse(HTMLReport.render(try ReportBuilder.build(file: file, options: options, reportVersion: "9.9")))
        let method = page.elements("p", class: "method").map(\.allText).joined(separator: " ")
        XCTAssertTrue(method.contains("Shown: ablation #\(second)"), method)
        XCTAssertTrue(method.contains("percentile bootstrap"), method)
    }

    /// A file written at schema version 1 (Schema/001_initial.sql as it shipped) with ablation rows of two sets,
    /// opened read-only: the report shows the latest set's rows, marked as having no recorded provenance, and
    /// does not print the saved set's parameters over them.
    func testAVersionOneFilesAblationRowsShowAsUnrecorded() throws {
        let url = directory.appendingPathComponent("v1.polylens")
        var schema = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: schema.appendingPathComponent("Package.swift").path) { schema.deleteLastPathComponent() }
        let sql = try String(contentsOf: schema.appendingPathComponent("Schema/001_initial.sql"), encoding: .utf8)
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            try db.execute(sql: sql)
            try db.execute(sql: "PRAGMA user_version = 1")
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('001_initial')")
            try db.execute(sql: "INSERT INTO runs VALUES (1, 'm', 'hf', 'ab', 't', 'cd', '{}', '{}', '0.1.0', 'x', 'x')")
            try db.execute(sql: "INSERT INTO neuron_sets VALUES (1, 1, 'lape', '{\"value\":10}', 'x')")
            for (set, after) in [("lape", 3.0), ("old", 2.5), ("lape", 2.2)] {
                for control in [0, 1] {
                    try db.execute(sql: "INSERT INTO ablation_results VALUES (NULL, 1, ?, ?, ?, 'C', 'C', 100, 2.0, ?, 'x')",
                                   arguments: [set, control, control == 1 ? 7 : nil, control == 1 ? 2.01 : after])
                }
            }
        }
        try queue.close()
        let file = try PolylensFile.open(url)
        let data = try ReportBuilder.build(file: file, options: options, reportVersion: "9.9")
        let ablation = try XCTUnwrap(data.ablation)
        XCTAssertEqual(ablation.setName, "lape", "the set ablated last")
        XCTAssertNil(ablation.provenance)
        XCTAssertNil(ablation.setParameters)
        XCTAssertEqual(ablation.entries.map(\.nllAfter), [2.2, 2.01], "one set's latest rows, never the other set's")
        let page = try XMLTree.parse(HTMLReport.render(data))
        XCTAssertTrue(page.allText.contains("written before Polylens recorded provenance"))
    }

    func testMexaIntervalsAreOverItems() throws {
        let mexa = try XCTUnwrap(try ReportBuilder.build(file: try makeFile(full: true), options: options, reportVersion: "9.9").mexa)
        XCTAssertEqual(mexa.scoreIntervals.count, mexa.layers.count)
        for (i, layer) in mexa.scoreIntervals.enumerated() {
            for (a, row) in layer.enumerated() {
                for (b, interval) in row.enumerated() {
                    XCTAssertLessThanOrEqual(interval.low, mexa.scores[i][a][b] + 1e-12)
                    XCTAssertGreaterThanOrEqual(interval.high, mexa.scores[i][a][b] - 1e-12)
                }
            }
        }
        // Layer 0: C–Python scores 0 (no item matched), so every resample is 0; layers 1, 2 match all 3 items.
        XCTAssertEqual(mexa.scoreIntervals[0][0][1], ReportInterval(low: 0, high: 0))
        XCTAssertEqual(mexa.pivotIntervals[0].map(\.low), [0, 1, 1])
        XCTAssertTrue(mexa.intervalMethod?.contains("over the 3 items") ?? false)
        var data = ReportData(title: "t")
        data.mexa = mexa
        let page = try XMLTree.parse(HTMLReport.render(data))
        let cells = page.elements("td").map(\.allText)
        XCTAssertTrue(cells.contains("0.000 [0.000, 0.000]") && cells.contains("1.000 [1.000, 1.000]"), "\(cells)")
    }

    func testARunWithoutAnalysesSaysWhatIsMissing() throws {
        let data = try ReportBuilder.build(file: try makeFile(full: false), reportVersion: "9.9") { _, _, _, _ in
            XCTFail("the lens loader runs only when the file has lens prompts")
            throw AnalysisError("unreachable")
        }
        XCTAssertNotNil(data.provenance)
        XCTAssertEqual(data.provenance?.corpora, [])
        XCTAssertNil(data.lape); XCTAssertNil(data.mexa); XCTAssertNil(data.lens); XCTAssertNil(data.ablation)
        XCTAssertEqual(data.absentReasons[.lens], "the file holds no logit-lens prompts (ingest with the parallel snippets).")
        XCTAssertEqual(data.absentReasons[.lape], "the file holds no neuron statistics.")
        XCTAssertTrue(data.absentReasons[.ablation]?.contains("polylens ablate") ?? false)
        let page = try XMLTree.parse(HTMLReport.render(data))
        XCTAssertEqual(page.elements("p", class: "no-data").count, 4)
    }

    func testAFileWithoutRunsAndAMissingRun() throws {
        let file = try PolylensFile.create(directory.appendingPathComponent("empty.polylens"))
        let data = try ReportBuilder.build(file: file, reportVersion: "9.9")
        XCTAssertEqual(Set(data.absentReasons.keys), Set(ReportSectionID.allCases))
        var o = ReportOptions()
        o.run = 42
        XCTAssertThrowsError(try ReportBuilder.build(file: file, options: o, reportVersion: "9.9")) {
            XCTAssertTrue("\($0)".contains("there is no run 42"), "\($0)")
        }
    }

    func testLensPromptsCapDecodesFewerPrompts() throws {
        let file = try makeFile(full: true)
        let run = try XCTUnwrap(try file.runs().first?.id)
        var batch = IngestBatch()
        batch.lensPrompts.append(LensPrompt(source: "C", target: "Python", itemKey: "1", tokens: [0, 2, 4, 7], firstPosition: 1,
                                            layers: 3, dim: 4, states: [Float](repeating: 0.5, count: 3 * 2 * 4)))
        try file.commit(run: run, batch: batch)
        let context = try lensContext()
        var o = options
        XCTAssertEqual(try ReportBuilder.build(file: file, options: o, reportVersion: "9.9") { _, _, _, _ in context }.lens?.pairs[0].prompts, 2)
        o.lensPrompts = 1
        let pair = try XCTUnwrap(try ReportBuilder.build(file: file, options: o, reportVersion: "9.9") { _, _, _, _ in context }.lens?.pairs[0])
        XCTAssertEqual([pair.prompts, pair.positions], [1, 3])
    }

    /// Results stored at ingest: no unembedding is loaded, and several pairs get the all-pairs average on top.
    func testStoredLensResultsNeedNoModelAndAverageThePairs() throws {
        let file = try makeFile(full: true)
        let run = try XCTUnwrap(try file.runs().first?.id)
        let sets = [TokenSet(name: "English", kind: TokenSet.english, ids: [1]),
                    TokenSet(name: "C keywords", kind: TokenSet.keywords, language: "C", ids: [2, 3, 5]),
                    TokenSet(name: "Python keywords", kind: TokenSet.keywords, language: "Python", ids: [2, 3, 4, 5])]
        try file.storeTokenSets(run: run, sets)
        var batch = IngestBatch()
        for (i, (source, target, mass)) in [("C", "Python", Float(0.2)), ("Python", "C", 0.4), ("Python", "C", 0.6)].enumerated() {
            let tokens: [Int32] = [0, 2, 4, 7]
            batch.lensPrompts.append(LensPrompt(source: source, target: target, itemKey: "r\(i)", tokens: tokens, firstPosition: 1,
                                                layers: 3, dim: 4, states: []))
            batch.lensResults.append(LensPromptResult(
                source: source, target: target, itemKey: "r\(i)", tokens: tokens, firstPosition: 1, layers: 3,
                columns: LensColumns(rows: 6, topK: 2, sets: 3, topIds: (0..<6).flatMap { _ in [Int32(1), 6] },
                                     topProbabilities: (0..<12).map { _ in 0.3 }, correctProbability: (0..<6).map { _ in mass },
                                     correctRank: (0..<6).map { _ in 2 }, entropy: (0..<6).map { _ in 1 },
                                     setMass: (0..<18).map { _ in mass })))
        }
        try file.commit(run: run, batch: batch)
        var loads = 0
        let data = try ReportBuilder.build(file: file, options: options, reportVersion: "9.9") { _, _, _, decode in
            XCTAssertFalse(decode)
            loads += 1
            return LensContext(unembedding: nil, tokenizer: EightTokens(), englishWords: [], keywordsDirectory: URL(fileURLWithPath: "/nonexistent"))
        }
        XCTAssertEqual(loads, 1)
        let lens = try XCTUnwrap(data.lens, "\(data.absentReasons)")
        XCTAssertEqual(lens.pairs.map { "\($0.source)→\($0.target) \($0.prompts)" }, ["C→Python 1", "Python→C 2"])
        let average = try XCTUnwrap(lens.average)
        XCTAssertEqual(average.prompts, 3)
        XCTAssertEqual(average.curves.map(\.name), ["English words", "target keywords", "source keywords", "correct next token"])
        // Every prompt weighs the same: (0.2 + 0.4 + 0.6) / 3.
        XCTAssertEqual(average.curves[3].values, [0.4, 0.4, 0.4], accuracy: 1e-6)
        XCTAssertEqual(lens.pairs[1].curves[3].values, [0.5, 0.5, 0.5], accuracy: 1e-6)
        XCTAssertEqual(average.topTokens[0].tokens.map(\.token), [" the", " x"])
        XCTAssertTrue(lens.method.contains("the results stored at ingest"), lens.method)
        let page = try XMLTree.parse(HTMLReport.render(data))
        XCTAssertEqual(page.elements("h3").first?.text, "Average over all 2 pairs")
    }

    func testLensLoaderFailureBecomesTheLensSectionsReason() throws {
        struct Missing: Error, CustomStringConvertible { var description: String { "model.gguf: no such file" } }
        let file = try makeFile(full: true)
        let data = try ReportBuilder.build(file: file, options: options, reportVersion: "9.9") { _, _, _, _ in
            throw Missing()
        }
        XCTAssertNil(data.lens)
        XCTAssertEqual(data.absentReasons[.lens], "model.gguf: no such file")
        XCTAssertNotNil(data.lape)
        let withoutLoader = try ReportBuilder.build(file: file, options: options, reportVersion: "9.9")
        XCTAssertEqual(withoutLoader.absentReasons[.lens], "no model was given to decode the stored states.")
    }

    func testJSONFlattening() {
        XCTAssertEqual(ReportBuilder.flatten(json: #"{"b":"x","a":["/usr/*.h",2],"c":null,"d":true,"e":1,"f":0.5}"#).map { "\($0.0)=\($0.1)" },
                       ["a=[\"/usr/*.h\",2]", "b=x", "c=null", "d=true", "e=1", "f=0.5"])
        XCTAssertEqual(ReportBuilder.flatten(json: "not json").map(\.1), ["not json"])
        XCTAssertTrue(ReportBuilder.flatten(json: "").isEmpty)
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, message, file: file, line: line) }
}

private func XCTAssertEqual(_ a: [[Double]], _ b: [[Double]], accuracy: Double, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, message, file: file, line: line) }
}
