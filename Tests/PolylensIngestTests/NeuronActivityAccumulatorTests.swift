import Foundation
import XCTest
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer
@testable import PolylensIngest

/// Issue 12 end to end on polycode with real code: histograms and top contexts in the file equal a direct
/// computation that keeps every activation of every neuron; quantiles agree with numpy within one bin;
/// other batch boundaries (what a resumed ingest commits) and merged shards give the same file contents.
final class NeuronActivityAccumulatorTests: XCTestCase {
    static let shape = ContextShape(k: 6, perLanguage: 3, before: 8, after: 4)
    static let quantiles = [0.5, 0.9, 0.99, 0.999]

    static func makeIngestor(_ options: IngestOptions) throws -> (Ingestor, HuggingFaceCheckpoint, Tokenizer) {
        let weights = try HuggingFaceCheckpoint(directory: IngestorTests.model)
        let tokenizer = try TokenizerLoader.load(IngestorTests.tokenizerURL)
        let ingestor = try Ingestor(weights: weights, modelPath: IngestorTests.model.path, tokenizer: tokenizer,
                                    tokenizerURL: IngestorTests.tokenizerURL, options: options)
        return (ingestor, weights, tokenizer)
    }

    /// C and Python files and the first parallel items of C, C++ and Java (many snippets are the same text in
    /// all three, so their activations tie exactly across languages and the stated order decides).
    static func corpus(batchDocuments: Int, languages: Set<String>? = nil) throws -> IngestOptions {
        var o = try IngestorTests.smallCorpus()
        o.promptsDirectory = nil
        o.maxTokensPerLanguage = 2500
        o.maxDocTokens = 200
        o.heldOut = 0.1
        o.batchDocuments = batchDocuments
        o.lensStates = false
        o.contexts = shape
        if let languages {
            o.corpus = o.corpus.filter { spec in
                if case .files(let language, _) = spec { return languages.contains(language) }
                return languages.contains("parallel")
            }
        }
        return o
    }

    struct Activation { var value: Float; var document: Int64; var position: Int32 }

    func testHistogramsAndTopContextsEqualADirectComputation() throws {
        let options = try Self.corpus(batchDocuments: 7)
        let (ingestor, weights, tokenizer) = try Self.makeIngestor(options)
        let dir = try temporaryDirectory()
        let file = try PolylensFile.create(URL(fileURLWithPath: dir + "/activity.polylens"))
        let run = try ingestor.run(into: file, threads: 2).run
        let config = weights.config, width = config.hiddenDim, layers = config.nLayers

        // Every activation of every neuron over the counted documents, and the token ids.
        let transformer = try Transformer(weights, threads: 2)
        let documents = try file.documentsByID(run: run).filter { !$0.value.heldOut }.sorted { (a: (key: Int64, value: DocumentInfo), b: (key: Int64, value: DocumentInfo)) in a.key < b.key }
        XCTAssertGreaterThan(documents.count, 20)
        // Every activation of a few neurons per layer (all of them would take gigabytes).
        let kept = Array(stride(from: 3, to: width, by: 37))
        var all = [[Activation]](repeating: [], count: layers * width)
        var tokensOf: [Int64: [Int32]] = [:]
        var histograms: [String: [Int64]] = [:]
        var series: [String: [Float]] = [:]   // a few neurons per language, for numpy
        let probes = [0, 17, 255, width - 1]
        for (id, d) in documents {
            let text = d.itemKey == nil ? try String(contentsOfFile: d.source, encoding: .utf8)
                                         : try XCTUnwrap(ParallelSnippets(directory: parallelDirectory(options)).text(d.language, d.itemKey!))
            let tokens = Array(tokenizer.encode(text, addBOS: true, parseSpecial: false).prefix(d.tokens))
            XCTAssertEqual(tokens.count, d.tokens)
            tokensOf[id] = tokens.map { Int32($0) }
            let capture = Capture(Set((0..<layers).map { TapPoint.mlpAct($0) }))
            _ = try transformer.forward(tokens, startPosition: 0, taps: capture, logits: .none)
            for l in 0..<layers {
                let a = capture.rows[.mlpAct(l)]!
                var h = histograms["\(d.language)/\(l)"] ?? [Int64](repeating: 0, count: width * ActivationBins.count)
                for t in 0..<tokens.count {
                    for i in 0..<width {
                        let v = a[t * width + i]
                        h[i * ActivationBins.count + Self.bin(v)] += 1
                        if t > 0, kept.contains(i) { all[l * width + i].append(Activation(value: v, document: id, position: Int32(t))) }
                        if probes.contains(i) { series["\(d.language)/\(l)/\(i)", default: []].append(v) }
                    }
                }
                histograms["\(d.language)/\(l)"] = h
            }
        }

        // Histograms: equal to the direct bins, every neuron's counts sum to the tokens, bins 12… = active.
        let stats = try file.neuronStats(run: run)
        for s in stats {
            let stored = try XCTUnwrap(file.activationHistograms(run: run, language: s.language, layer: s.layer).first)
            XCTAssertEqual(stored.counts, histograms["\(s.language)/\(s.layer)"], "\(s.language) layer \(s.layer)")
            for i in 0..<width {
                XCTAssertEqual(stored.tokens(neuron: i), s.tokens)
                XCTAssertEqual(stored.counts(neuron: i).dropFirst(ActivationBins.firstPositive).reduce(0, +), s.active[i])
            }
        }

        // Top contexts: the first k of every activation sorted in the stated order, over all languages and per language.
        let keys = Dictionary(uniqueKeysWithValues: documents.map { ($0.key, DocumentKey($0.value)) })
        func precedes(_ a: Activation, _ b: Activation) -> Bool {
            if a.value != b.value { return a.value > b.value }
            let ka = keys[a.document]!, kb = keys[b.document]!
            if ka.sha256 != kb.sha256 { return ka.sha256 < kb.sha256 }
            if ka.language != kb.language { return ka.language < kb.language }
            if ka.itemKey != kb.itemKey { return (ka.itemKey ?? "") < (kb.itemKey ?? "") }
            return a.position < b.position
        }
        var ties = 0
        for l in 0..<layers {
            let global = try XCTUnwrap(file.neuronContexts(run: run, scope: "*", layer: l))
            XCTAssertEqual(global.k, Self.shape.k)
            let perLanguage = try Dictionary(uniqueKeysWithValues: Set(stats.map(\.language)).map {
                ($0, try XCTUnwrap(file.neuronContexts(run: run, scope: $0, layer: l)))
            })
            for i in kept {
                let sorted = all[l * width + i].sorted(by: precedes)
                ties += zip(sorted.prefix(Self.shape.k), sorted.dropFirst().prefix(Self.shape.k)).filter { $0.value == $1.value }.count
                check(global.contexts[i], Array(sorted.prefix(Self.shape.k)), tokensOf, "layer \(l) neuron \(i)")
                for (language, table) in perLanguage {
                    check(table.contexts[i], Array(sorted.filter { keys[$0.document]!.language == language }.prefix(Self.shape.perLanguage)),
                          tokensOf, "\(language) layer \(l) neuron \(i)")
                }
            }
        }
        XCTAssertGreaterThan(ties, 0, "the corpus should exercise exact ties among the top contexts")

        // Quantiles: numpy's (method "lower") on the same activations lie in the bin the histogram names; the
        // interpolated estimate is within one bin of it.
        let names = series.keys.sorted()
        let reference = try numpy(names.map { ($0, series[$0]!) }, quantiles: Self.quantiles)
        for name in names {
            let parts = name.split(separator: "/")
            let h = try XCTUnwrap(file.activationHistograms(run: run, language: String(parts[0]), layer: Int(parts[1])!).first)
            let counts = h.counts(neuron: Int(parts[2])!)
            let ref = try XCTUnwrap(reference[name])
            XCTAssertEqual(Array(counts), ref.histogram, "numpy's bins for \(name)")
            for (q, value) in zip(Self.quantiles, ref.quantiles) {
                let bin = try XCTUnwrap(HistogramQuantile.bin(q, counts: counts))
                XCTAssertEqual(bin, Self.bin(Float(value)), "\(name) q \(q): numpy \(value)")
                let estimate = try XCTUnwrap(HistogramQuantile.value(q, counts: counts))
                XCTAssertLessThanOrEqual(abs(Self.bin(estimate) - Self.bin(Float(value))), 1, "\(name) q \(q): \(estimate) vs numpy \(value)")
            }
        }
    }

    func testOtherBatchBoundariesAndMergedShardsEqualOnePass() throws {
        let dir = try temporaryDirectory()
        func ingest(_ options: IngestOptions, _ name: String) throws -> URL {
            let url = URL(fileURLWithPath: "\(dir)/\(name).polylens")
            let file = try PolylensFile.create(url)
            _ = try Self.makeIngestor(options).0.run(into: file, threads: 2)
            try file.close()
            return url
        }
        let one = try ingest(try Self.corpus(batchDocuments: 64), "one")
        let small = try ingest(try Self.corpus(batchDocuments: 3), "small")
        let shardA = try ingest(try Self.corpus(batchDocuments: 5, languages: ["C", "parallel"]), "a")
        let shardB = try ingest(try Self.corpus(batchDocuments: 5, languages: ["C++", "Python"]), "b")
        let merged = URL(fileURLWithPath: dir + "/merged.polylens")
        _ = try PolylensFile.merge(into: merged, from: [shardA, shardB])
        let expected = try contents(one)
        XCTAssertFalse(expected.histograms.isEmpty)
        XCTAssertEqual(expected.contexts.count, 9 * 4)  // *, the 7 parallel languages and English, 4 layers
        // What `polylens estimate` counts is what the file holds: 8 languages (7 and English), 4 layers × 512.
        let tables = try PolylensFile.open(one).info().tables.filter { ["activation_histograms", "neuron_contexts"].contains($0.table) }
        XCTAssertEqual(tables.map(\.rawBytes).reduce(0, +),
                       NeuronActivityStorage.rawBytes(layers: 4, neurons: 512, languages: 8, histograms: true, contexts: Self.shape))
        XCTAssertEqual(try contents(small), expected)
        XCTAssertEqual(try contents(merged), expected)
    }

    // MARK: - Helpers

    /// Everything issue 12 stores, with documents named by content so that files with other ids compare.
    struct Contents: Equatable {
        var histograms: [String: [Int64]] = [:]
        var contexts: [String: [[String]]] = [:]
    }

    func contents(_ url: URL) throws -> Contents {
        let file = try PolylensFile.open(url)
        let run = try XCTUnwrap(file.runs().first).id
        let keys = try file.documentKeysByID(run: run)
        var c = Contents()
        for h in try file.activationHistograms(run: run) { c.histograms["\(h.language)/\(h.layer)"] = h.counts }
        for scope in try file.contextScopes(run: run) {
            for l in 0..<4 {
                guard let t = try file.neuronContexts(run: run, scope: scope, layer: l) else { continue }
                c.contexts["\(scope)/\(l)"] = t.contexts.map { $0.map { x in
                    let k = keys[x.document]!
                    return "\(x.value) \(k.language) \(k.sha256) \(k.itemKey ?? "") \(x.position) \(x.tokens)"
                } }
            }
        }
        return c
    }

    private func check(_ stored: [NeuronContext], _ expected: [Activation], _ tokens: [Int64: [Int32]], _ what: String) {
        XCTAssertEqual(stored.map(\.value), expected.map(\.value), what)
        XCTAssertEqual(stored.map(\.document), expected.map(\.document), what)
        XCTAssertEqual(stored.map(\.position), expected.map(\.position), what)
        for (s, e) in zip(stored, expected) {
            let t = tokens[e.document]!, p = Int(e.position)
            let window = (p - Self.shape.before...p + Self.shape.after).map { t.indices.contains($0) ? t[$0] : -1 }
            XCTAssertEqual(s.tokens, window, what)
        }
    }

    /// The bin of `a` by searching the edges (not the bit table ingest uses).
    static func bin(_ a: Float) -> Int {
        let e = ActivationBins.edges
        if a <= 0 {
            var b = 0
            while b < 11 && a > e[b + 1] { b += 1 }
            return b
        }
        var b = 12
        while b < 39 && a >= e[b + 1] { b += 1 }
        return b
    }

    /// tools/neuron_activity_reference.py: numpy's bins and quantiles.
    private func numpy(_ series: [(String, [Float])], quantiles: [Double]) throws -> [String: (histogram: [Int64], quantiles: [Double])] {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        guard let python = path.split(separator: ":").map({ "\($0)/python3" }).first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("python3 is not on PATH")
        }
        let dir = try temporaryDirectory()
        var data = Data()
        for (_, values) in series { values.withUnsafeBytes { data.append(contentsOf: $0) } }
        try data.write(to: URL(fileURLWithPath: dir + "/a.f32"))
        let manifest: [String: Any] = ["series": series.map { ["name": $0.0, "count": $0.1.count] }, "quantiles": quantiles]
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: dir + "/m.json"))
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { root.deleteLastPathComponent() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [root.appendingPathComponent("tools/neuron_activity_reference.py").path, dir + "/a.f32", dir + "/m.json"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let message = String(decoding: e, as: UTF8.self)
            if message.contains("No module named 'numpy'") { throw XCTSkip("numpy is not installed (tools/setup.sh)") }
            XCTFail(message); return [:]
        }
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: o) as? [String: [String: [Double]]])
        return json.mapValues { (($0["histogram"] ?? []).map { Int64($0) }, $0["quantiles"] ?? []) }
    }

    private func parallelDirectory(_ options: IngestOptions) -> String {
        for spec in options.corpus { if case .parallel(let d) = spec { return d } }
        return ""
    }
}
