import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
import PolylensAnalysis
import PolylensEngine
import PolylensModel
import PolylensStore

/// `polylens lape | mexa | lens | ablate` as a user runs them, on a file ingested once from real code (the
/// C headers and Python standard library on this machine, and 8 of the paper's parallel snippets) with polycode.
final class AnalysisCommandsTests: XCTestCase {
    static let fixture = IngestedFile(prefix: "polylens-analysis-cli-", name: "e2e.polylens")
    static var directory: String { fixture.directory }
    static var file: String { fixture.file }
    static let model = SharedFiles.url("models/polycode").path

    override class func setUp() {
        // The first 8 parallel items (sorted ids) of C, Java and Python; the C comments are the English side.
        fixture.make(["--model", model, "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/*.py",
                      "--parallel", directory + "/parallel", "--prompts", SharedFiles.url("data/paper/prompts").path,
                      "--lens-items", "3", "--lens-languages", "C,Python", "--held-out", "0.3",
                      "--max-doc-tokens", "128", "--max-tokens-per-language", "6000", "--format", "json"]) {
            _ = try IngestedFile.copySnippets(first: 8, of: ["C", "Java", "Python"], into: $0 + "/parallel")
        }
    }

    override class func tearDown() { fixture.remove() }

    override func setUpWithError() throws { try Self.fixture.require() }

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let r = try PolylensCLI.run(arguments + ["--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], r.out)
    }

    /// τ and the selections recomputed from `polylens export --what neuron-stats` by full sorting.
    func testLapeAgreesWithDirectComputationFromExport() throws {
        let csv = try PolylensCLI.run(["export", Self.file, "--what", "neuron-stats"])
        XCTAssertEqual(csv.status, 0, csv.err)
        var active: [String: [Int: [Int: Double]]] = [:], tokens: [String: Double] = [:]
        for line in csv.out.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            active[f[0], default: [:]][Int(f[1])!, default: [:]][Int(f[2])!] = Double(f[4])!
            tokens[f[0]] = Double(f[3])!
        }
        let langs = active.keys.sorted()
        let layers = active[langs[0]]!.count, width = active[langs[0]]![0]!.count
        let p = (0..<(layers * width)).map { j in langs.map { active[$0]![j / width]![j % width]! / tokens[$0]! } }
        let sorted = p.flatMap { $0 }.sorted()
        let tau = sorted[Int((0.95 * Double(sorted.count)).rounded(.toNearestOrEven)) - 1]
        let h = p.map { row -> Double in
            guard row.contains(where: { $0 > tau }) else { return .infinity }
            let s = row.reduce(0, +)
            return -row.filter { $0 > 0 }.map { $0 / s * Foundation.log($0 / s) }.reduce(0, +)
        }
        let order = h.indices.sorted { (h[$0], $0) < (h[$1], $1) }

        let paper = try json(["lape", Self.file])
        XCTAssertEqual(paper["tau"] as? Double, tau)
        XCTAssertEqual(paper["languages"] as? [String], langs)
        let neurons = try XCTUnwrap(paper["neurons"] as? [String: [[Int]]])
        for (k, lang) in langs.enumerated() {
            let expected = order.filter { p[$0][k] > tau }.prefix(400).map { [$0 / width, $0 % width] }.sorted { $0.lexicographicallyPrecedes($1) }
            XCTAssertEqual(neurons[lang], expected, lang)
            XCTAssertFalse(expected.isEmpty, lang)
        }
        let top = try json(["lape", Self.file, "--top-rate", "0.05"])
        let chosen = order.prefix(Int((Double(h.count) * 0.05).rounded(.toNearestOrEven)))
        let topNeurons = try XCTUnwrap(top["neurons"] as? [String: [[Int]]])
        for (k, lang) in langs.enumerated() {
            XCTAssertEqual(topNeurons[lang], chosen.filter { p[$0][k] > tau }.map { [$0 / width, $0 % width] }.sorted { $0.lexicographicallyPrecedes($1) }, lang)
        }
        let table = try PolylensCLI.run(["lape", Self.file, "--per-language", "5"])
        XCTAssertTrue(table.out.contains("Overlap (neurons selected for both)"), table.out)
        let rows = try PolylensCLI.run(["lape", Self.file, "--per-language", "5", "--format", "csv"])
        XCTAssertEqual(rows.out.split(separator: "\n").count, 1 + 5 * langs.count)
    }

    func testMexaScoresAndSelfPairOption() throws {
        let r = try json(["mexa", Self.file])
        XCTAssertEqual(r["languages"] as? [String], ["C", "English", "Java", "Python"])
        XCTAssertEqual((r["items"] as? [String])?.count, 8)
        let layers = try XCTUnwrap(r["layers"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 5)  // embeddings + 4 blocks
        let withSelf = try XCTUnwrap(try json(["mexa", Self.file, "--include-self"])["layers"] as? [[String: Any]])
        for (l, layer) in layers.enumerated() {
            let m = try XCTUnwrap(layer["matrix"] as? [String: [String: Double]])
            for a in m.keys {
                for b in m.keys {
                    XCTAssertEqual(m[a]![b], m[b]![a])
                    XCTAssertEqual((m[a]![b]! * 8).rounded(), m[a]![b]! * 8, accuracy: 1e-12)  // a fraction of 8 items
                }
            }
            // Programming-language pivots average over the 2 other targets, or all 3 with the self-pair.
            let without = try XCTUnwrap(layer["pivot_averages"] as? [String: Double])
            let with = try XCTUnwrap(withSelf[l]["pivot_averages"] as? [String: Double])
            XCTAssertEqual(without["C"]!, (m["C"]!["Java"]! + m["C"]!["Python"]!) / 2, accuracy: 1e-12)
            XCTAssertEqual(with["C"]!, (m["C"]!["C"]! + m["C"]!["Java"]! + m["C"]!["Python"]!) / 3, accuracy: 1e-12)
            XCTAssertEqual(with["English"]!, without["English"]!, accuracy: 1e-12)
            // Every score and average has its interval over the 8 items, around it and on the 1/8 grid.
            let intervals = try XCTUnwrap(layer["intervals"] as? [String: [String: [Double]]])
            for a in m.keys {
                for b in m.keys {
                    let i = try XCTUnwrap(intervals[a]?[b])
                    XCTAssertTrue(i[0] <= m[a]![b]! && m[a]![b]! <= i[1], "\(a)–\(b): \(i)")
                    for x in i { XCTAssertEqual((x * 8).rounded(), x * 8, accuracy: 1e-9) }
                }
            }
            let average = try XCTUnwrap((layer["pivot_average_intervals"] as? [String: [Double]])?["C"])
            XCTAssertTrue(average[0] <= without["C"]! && without["C"]! <= average[1], "\(average)")
        }
        XCTAssertTrue((r["interval_method"] as? String)?.hasPrefix("percentile bootstrap, 2000 resamples, 95% interval over the 8 items") ?? false)
        let csv = try PolylensCLI.run(["mexa", Self.file, "--layers", "1-2", "--pivot", "python", "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.err)
        XCTAssertEqual(csv.out.split(separator: "\n").count, 1 + 2 * 5)
    }

    /// At the last layer the lens is the model itself: its mean probability of the correct next token equals
    /// exp(-NLL) from the engine on the same prompts (computed at ingest from f32 states: within 1e-4).
    func testLensLastLayerIsTheModelsPrediction() throws {
        let r = try json(["lens", Self.file, "--source", "C", "--target", "Python", "--top", "5"])
        let layers = try XCTUnwrap(r["layers"] as? [[String: Any]])
        let f = try PolylensFile.open(URL(fileURLWithPath: Self.file))
        let run = try XCTUnwrap(f.runs().first?.id)
        let prompts = try f.lensPrompts(run: run, source: "C", target: "Python")
        XCTAssertEqual(prompts.count, 3)
        let engine = try Transformer(try ModelLoader.load(URL(fileURLWithPath: Self.model)), threads: 1)
        var promptMeans: [Double] = [], count = 0
        for p in prompts {
            let nll = try engine.negativeLogLikelihoods(p.tokens.map(Int.init))
            let positions = p.firstPosition..<(p.tokens.count - 1)
            promptMeans.append(positions.map { Foundation.exp(-nll[$0]) }.reduce(0, +) / Double(positions.count))
            count += positions.count
        }
        let last = try XCTUnwrap(layers.last)
        XCTAssertEqual(last["positions"] as? Int, count)
        XCTAssertEqual(last["layer_name"] as? String, "\(layers.count - 1)")
        XCTAssertEqual(layers.first?["layer_name"] as? String, "embeddings")
        let correct = try XCTUnwrap(last["correct_probability"] as? [String: Double])
        XCTAssertEqual(try XCTUnwrap(correct["estimate"]), promptMeans.reduce(0, +) / 3, accuracy: 1e-4)
        XCTAssertLessThanOrEqual(correct["low"]!, correct["estimate"]!)
        XCTAssertGreaterThanOrEqual(correct["high"]!, correct["estimate"]!)
        let sets = try XCTUnwrap(r["token_sets"] as? [[String: Any]])
        XCTAssertEqual(sets.map { $0["name"] as? String }, ["English", "C keywords", "Python keywords"])
        XCTAssertGreaterThan(sets[0]["count"] as? Int ?? 0, 100)
        XCTAssertEqual((sets[0]["token_ids"] as? [Int])?.count, sets[0]["count"] as? Int, "the exact ids are listed")
        XCTAssertTrue((sets[0]["source"] as? String ?? "").contains("/usr/share/dict/words"))
        XCTAssertGreaterThan(sets[2]["count"] as? Int ?? 0, 20)
        let readings = try XCTUnwrap(r["readings"] as? [[String: Any]])
        XCTAssertEqual(readings.count, 3)
        let table = try PolylensCLI.run(["lens", Self.file, "--source", "c", "--target", "python"])
        XCTAssertTrue(table.out.contains("from the results stored at ingest"), table.out)
        try assertFailure(["lens", Self.file, "--recompute"], "holds no lens states to decode")
        try assertFailure(["lens", Self.file, "--top", "11"], "--top 11 is more than the 10 tokens ingest kept")
    }

    /// Issue 11: without --source/--target every pair is averaged (each prompt weighing the same), either alone
    /// filters, CSV carries source and target, and the table fits 100 columns.
    func testLensOverAllPairs() throws {
        let all = try json(["lens", Self.file])
        let pairs = try XCTUnwrap(all["pairs"] as? [[String: Any]])
        XCTAssertEqual(pairs.map { "\($0["source"]!)→\($0["target"]!)" }, ["C→Python", "Python→C"])
        XCTAssertNil(all["readings"])
        XCTAssertEqual(all["prompts"] as? Int, 6)
        XCTAssertTrue((all["interval_method"] as? String ?? "").hasPrefix("percentile bootstrap, 2000 resamples, 95% interval"))
        func estimates(_ layers: Any?, _ key: String) throws -> [Double] {
            try XCTUnwrap(layers as? [[String: Any]]).map { try XCTUnwrap(($0[key] as? [String: Double])?["estimate"]) }
        }
        let mean = try estimates(all["layers"], "correct_probability")
        let a = try estimates(pairs[0]["layers"], "correct_probability"), b = try estimates(pairs[1]["layers"], "correct_probability")
        for l in mean.indices { XCTAssertEqual(mean[l], (a[l] + b[l]) / 2, accuracy: 1e-9) }

        let source = try json(["lens", Self.file, "--source", "python"])
        XCTAssertEqual((source["pairs"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual(source["target"] as? String, "C")

        let csv = try PolylensCLI.run(["lens", Self.file, "--format", "csv"])
        XCTAssertEqual(csv.status, 0, csv.err)
        let lines = csv.out.split(separator: "\n")
        XCTAssertTrue(lines[0].hasPrefix("source,target,layer,layer_name,prompts,positions,p_correct,p_correct_low,p_correct_high"))
        XCTAssertEqual(lines.count, 1 + 3 * mean.count)
        XCTAssertTrue(lines[1].hasPrefix("C,Python,0,embeddings,3,"), String(lines[1]))
        XCTAssertTrue(lines.last!.hasPrefix("all,all,"), String(lines.last!))

        let table = try PolylensCLI.run(["lens", Self.file])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.contains("Logit lens all 2 pairs: 6 prompts"), table.out)
        XCTAssertTrue(table.out.contains("\nembeddings "), table.out)
        for line in table.out.split(separator: "\n") { XCTAssertLessThanOrEqual(line.count, 100, String(line)) }
    }

    func testAblateStoresEveryMeasurementItsDocumentsAndItsProvenance() throws {
        XCTAssertEqual(try PolylensCLI.run(["lape", Self.file, "--per-language", "10", "--save", "ten", "--format", "csv"]).status, 0)
        let r = try PolylensCLI.run(["ablate", Self.file, "--set", "ten", "--model", Self.model, "--eval-tokens", "200", "--seed", "7",
                                     "--control-seeds", "2", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        let out = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        let records = try XCTUnwrap(out["results"] as? [[String: Any]])
        let f = try PolylensFile.open(URL(fileURLWithPath: Self.file))
        let run = try XCTUnwrap(f.runs().first?.id)
        let ablation = try XCTUnwrap(try f.ablationRuns(run: run).last)
        XCTAssertEqual(out["ablation_id"] as? Int, ablation.id.map(Int.init))
        let set = try XCTUnwrap(try f.neuronSetRecords(run: run).first { $0.name == "ten" })
        XCTAssertEqual(ablation.setSHA256, set.contentSHA256)
        XCTAssertEqual((out["set"] as? [String: Any])?["sha256"] as? String, set.contentSHA256)
        XCTAssertEqual(ablation.setParametersJSON, set.parametersJSON)
        XCTAssertTrue(ablation.parametersJSON.contains(#""control_seeds":[7,8]"#), ablation.parametersJSON)
        XCTAssertEqual(out["control_seeds"] as? [Int], [7, 8])

        let stored = try f.ablationResults(run: run).filter { $0.ablationID == ablation.id }
        let sets = Set(stored.map(\.ablatedLanguage)), evaluated = Set(stored.map(\.evalLanguage))
        XCTAssertEqual(sets, ["C", "English", "Java", "Python"])
        XCTAssertTrue(evaluated.isSuperset(of: ["C", "Python"]), "\(evaluated)")
        XCTAssertEqual(stored.count, sets.count * evaluated.count * 3, "the set and two control seeds")
        XCTAssertEqual(records.count, sets.count * evaluated.count)
        XCTAssertEqual(Set(stored.compactMap(\.controlSeed)), [7, 8])

        // Per document: the tokens add up to the row's, the token-weighted means are the row's NLL, and the
        // interval printed is the bootstrap over these documents.
        let documents = try f.ablationDocuments(ablation: try XCTUnwrap(ablation.id))
        for row in stored {
            let mine = documents.filter { $0.ablatedLanguage == row.ablatedLanguage && $0.evalLanguage == row.evalLanguage && $0.controlSeed == row.controlSeed }
            XCTAssertFalse(mine.isEmpty)
            XCTAssertEqual(mine.reduce(0) { $0 + $1.tokens }, row.tokens)
            XCTAssertLessThanOrEqual(row.tokens, 200)
            XCTAssertEqual(mine.reduce(0.0) { $0 + Double($1.tokens) * $1.nllAfter } / Double(row.tokens), row.nllAfter, accuracy: 1e-9)
            XCTAssertEqual(mine.reduce(0.0) { $0 + Double($1.tokens) * $1.nllBefore } / Double(row.tokens), row.nllBefore, accuracy: 1e-9)
        }
        for rec in records {
            let (low, change, high) = (rec["change_low"] as! Double, rec["change"] as! Double, rec["change_high"] as! Double)
            XCTAssertTrue(low <= change && change <= high, "\(rec)")
            XCTAssertEqual(rec["control_seeds"] as? Int, 2)
            // The printed interval is the bootstrap over exactly the stored documents.
            let mine = documents.filter { $0.controlSeed == nil && $0.ablatedLanguage == rec["ablated_language"] as? String
                                          && $0.evalLanguage == rec["eval_language"] as? String }
            let again = Bootstrap.ratio(mine.map { Double($0.tokens) * ($0.nllAfter - $0.nllBefore) }, mine.map { Double($0.tokens) })
            XCTAssertEqual([again.estimate, again.low, again.high], [change, low, high], accuracy: 1e-12)
            XCTAssertEqual(rec["documents"] as? Int, mine.count)
        }
        XCTAssertTrue((out["interval_method"] as? String)?.contains("percentile bootstrap, 2000 resamples, 95% interval") ?? false)

        // The stored run prints exactly as ablate printed it: same documents, same order, same intervals.
        let shown = try json(["results", Self.file, "--show-ablation", "\(ablation.id!)"])
        XCTAssertEqual(try JSONSerialization.data(withJSONObject: shown, options: .sortedKeys),
                       try JSONSerialization.data(withJSONObject: out, options: .sortedKeys))

        // A smoke test with --no-save prints the same kind of result and leaves the file as it was.
        let smoke = try PolylensCLI.run(["ablate", Self.file, "--set", "ten", "--model", Self.model, "--eval-tokens", "10",
                                         "--control", "none", "--no-save", "--format", "csv"])
        XCTAssertEqual(smoke.status, 0, smoke.err)
        XCTAssertTrue(smoke.out.hasPrefix("ablation_id,set,set_sha256,"), smoke.out)
        XCTAssertEqual(try f.ablationRuns(run: run).count, 1)

        // "Which documents does this set hurt most" is one query.
        let q = try PolylensCLI.run(["sql", Self.file, """
            SELECT d.source, a.nll_after - a.nll_before AS hurt FROM ablation_documents a JOIN documents d ON d.id = a.document_id
            WHERE a.ablation_id = \(ablation.id!) AND a.control_seed IS NULL AND a.ablated_language = 'C' ORDER BY hurt DESC LIMIT 3
            """, "--format", "csv"])
        XCTAssertEqual(q.status, 0, q.err)
        let sources = Dictionary(uniqueKeysWithValues: try f.languages(run: run).flatMap { try f.heldOutDocuments(run: run, language: $0) }
            .map { ($0.id, $0.document.source) })
        let worst = try XCTUnwrap(documents.filter { $0.controlSeed == nil && $0.ablatedLanguage == "C" }
            .max { $0.nllAfter - $0.nllBefore < $1.nllAfter - $1.nllBefore })
        XCTAssertEqual(q.out.split(separator: "\n").dropFirst().first.map { String($0.split(separator: ",")[0]) }, sources[worst.document], q.out)
    }

    /// `ablate --set-to p99`: each neuron is pinned to its own p99 in the ablated language, the value `polylens neuron`
    /// reads from the histogram; the stored NLL equals the engine run directly with those values; the setting is recorded.
    func testAblateSetToAPercentilePinsEachNeuronToItsHistogramQuantile() throws {
        // On a copy, so that the other ablate tests see only their own runs.
        let path = Self.directory + "/pinned.polylens"
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: Self.file, toPath: path)
        XCTAssertEqual(try PolylensCLI.run(["lape", path, "--per-language", "6", "--save", "six", "--format", "csv"]).status, 0)
        let out = try json(["ablate", path, "--set", "six", "--model", Self.model, "--eval-tokens", "60", "--set-to", "p99",
                            "--control", "none"])
        let f = try PolylensFile.open(URL(fileURLWithPath: path))
        let run = try XCTUnwrap(f.runs().first?.id)
        let ablation = try XCTUnwrap(try f.ablationRuns(run: run).last)
        XCTAssertEqual(out["ablation_id"] as? Int, ablation.id.map(Int.init))
        let parameters = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(ablation.parametersJSON.utf8)) as? [String: Any])
        XCTAssertEqual(parameters["set_to"] as? String, "p99")
        XCTAssertTrue((parameters["set_to_source"] as? String)?.contains("0.99-quantile in the ablated set's language") ?? false, "\(parameters)")
        let listed = try json(["results", path])
        XCTAssertTrue((listed["ablations"] as? [[String: Any]] ?? []).contains { ($0["parameters"] as? [String: Any])?["set_to"] as? String == "p99" }, "\(listed)")

        // The values: each neuron's p99 in the set's language, as `polylens neuron --language L` shows it.
        let set = try f.neuronSet(run: run, name: "six")
        let python = try XCTUnwrap(set["Python"])
        var values: [Int: [Float]] = [:]
        for n in Ablation.byLayer(python).flatMap({ l, ns in ns.map { NeuronRef(layer: l, neuron: $0) } }).sorted() {
            let shown = try json(["neuron", path, "\(n.layer):\(n.neuron)", "--language", "Python"])
            let language = try XCTUnwrap((shown["languages"] as? [[String: Any]])?.first)
            let p99 = try XCTUnwrap((language["quantiles"] as? [String: Double])?["p99"])
            let pins = try AblationPins(.quantile(0.99), file: f, run: run, languages: ["Python"])
            XCTAssertEqual(Double(try pins.value(of: n, language: "Python")), p99, accuracy: 1e-6, "\(n)")
            values[n.layer, default: []].append(Float(p99))
        }
        // The stored NLL after pinning equals the engine run directly with those values, document by document.
        let transformer = try Transformer(try ModelLoader.load(URL(fileURLWithPath: Self.model)), threads: 2)
        let pinned = NeuronAblation(neurons: Ablation.byLayer(python), values: values)
        let held = Dictionary(uniqueKeysWithValues: try f.languages(run: run).flatMap { try f.heldOutDocuments(run: run, language: $0) }
            .map { ($0.id, $0.document) })
        let rows = try f.ablationDocuments(ablation: try XCTUnwrap(ablation.id)).filter { $0.ablatedLanguage == "Python" }
        XCTAssertFalse(rows.isEmpty)
        for row in rows.prefix(4) {
            let ids = try XCTUnwrap(held[row.document]?.tokenIds).prefix(row.tokens + 1).map(Int.init)
            let nll = try transformer.negativeLogLikelihoods(ids, ablation: pinned)
            XCTAssertEqual(nll.reduce(0, +) / Double(nll.count), row.nllAfter, accuracy: 1e-9)
            let zeroed = try transformer.negativeLogLikelihoods(ids, ablation: NeuronAblation(neurons: Ablation.byLayer(python)))
            XCTAssertNotEqual(zeroed.reduce(0, +) / Double(zeroed.count), row.nllAfter, "pinned, not zeroed")
        }
        let report = try PolylensCLI.run(["report", path, "--ablation", "\(ablation.id!)", "--out", Self.directory + "/pinned.html"])
        XCTAssertEqual(report.status, 0, report.err)
        let html = try String(contentsOfFile: Self.directory + "/pinned.html", encoding: .utf8)
        XCTAssertTrue(html.contains("set to their own p99 in the ablated language"), "the report says what was done")

        try assertFailure(["ablate", path, "--set", "six", "--model", Self.model, "--set-to", "p0"], "a percentile must lie in (0, 100]")
        try assertFailure(["ablate", path, "--set", "six", "--model", Self.model, "--set-to", "high"],
                          "--set-to must be zero, a percentile (p50, p90, p99, p99.9) or a finite number, got 'high'")
        // A file ingested without histograms has no distribution to read.
        let bare = Self.directory + "/bare.polylens"
        let ingest = try PolylensCLI.run(["ingest", bare, "--model", Self.model, "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/*.py",
                                          "--held-out", "0.3",
                                          "--max-doc-tokens", "64", "--max-tokens-per-language", "600", "--no-activation-histograms",
                                          "--format", "json"])
        XCTAssertEqual(ingest.status, 0, ingest.err)
        XCTAssertEqual(try PolylensCLI.run(["lape", bare, "--per-language", "3", "--save", "three", "--format", "csv"]).status, 0)
        try assertFailure(["ablate", bare, "--set", "three", "--model", Self.model, "--set-to", "p90"],
                          "bare.polylens: run 1 has no activation histograms")
    }

    func testSavedSetsAreNeverSilentlyReplacedAndResultsListsAndDeletes() throws {
        XCTAssertEqual(try PolylensCLI.run(["lape", Self.file, "--per-language", "4", "--save", "four", "--format", "csv"]).status, 0)
        try assertFailure(["lape", Self.file, "--per-language", "5", "--save", "four", "--format", "csv"],
                          "already has a neuron set named four; choose another name or add --replace")
        let replaced = try json(["lape", Self.file, "--per-language", "5", "--save", "four", "--replace"])
        XCTAssertEqual((replaced["saved"] as? [String: Any])?["replaced"] as? Bool, true)
        let list = try json(["results", Self.file])
        let four = try XCTUnwrap((list["sets"] as? [[String: Any]])?.first { $0["name"] as? String == "four" })
        XCTAssertEqual(four["sha256"] as? String, (replaced["saved"] as? [String: Any])?["sha256"] as? String)
        XCTAssertEqual((four["parameters"] as? [String: Any])?["value"] as? Int, 5, "\(four)")
        XCTAssertEqual(try PolylensCLI.run(["results", Self.file, "--delete-set", "four"]).status, 0)
        let after = try json(["results", Self.file])
        XCTAssertFalse((after["sets"] as? [[String: Any]] ?? []).contains { $0["name"] as? String == "four" })
        try assertFailure(["results", Self.file, "--delete-set", "four"], "has no neuron set named four")
        let table = try PolylensCLI.run(["results", Self.file])
        XCTAssertTrue(table.out.hasPrefix("Neuron sets\nname  "), table.out)
        XCTAssertTrue(table.out.contains("\nAblation runs\n"), table.out)
        let csv = try PolylensCLI.run(["results", Self.file, "--format", "csv"])
        XCTAssertTrue(csv.out.hasPrefix("kind,id,name,sha256,created_at,set_status,parameters,details\n"), csv.out)
        try assertFailure(["results", Self.file, "--delete-ablation", "999"], "has no ablation 999")
        try assertFailure(["results", Self.file, "--delete-set", "a", "--delete-ablation", "1"], "exclude each other")
    }

    /// The held-out documents are counted with the model once and LAPE reruns on bootstrap resamples of them.
    func testLapeStabilityOverHeldOutDocuments() throws {
        let j = try json(["lape", Self.file, "--per-language", "10", "--languages", "C,Python", "--stability", "20", "--model", Self.model])
        let s = try XCTUnwrap(j["stability"] as? [String: Any])
        XCTAssertEqual(s["resamples"] as? Int, 20)
        XCTAssertTrue((s["method"] as? String)?.contains("bootstrap resamples of documents") ?? false)
        let languages = try XCTUnwrap(s["languages"] as? [String: [String: Any]])
        XCTAssertEqual(Set(languages.keys), ["C", "Python"])
        let f = try PolylensFile.open(URL(fileURLWithPath: Self.file))
        let run = try XCTUnwrap(f.runs().first?.id)
        for (language, v) in languages {
            let held = try f.documents(run: run, language: language, heldOut: true)
            XCTAssertEqual(v["documents"] as? Int, held.count)
            XCTAssertEqual(v["tokens"] as? Int, held.reduce(0) { $0 + $1.tokens }, "every token counted, BOS included, as ingest does")
            let (low, mean, high) = (v["jaccard_file_p05"] as! Double, v["jaccard_file_mean"] as! Double, v["jaccard_file_p95"] as! Double)
            XCTAssertTrue(0 <= low && low <= mean && mean <= high && high <= 1, "\(v)")
            XCTAssertGreaterThan(v["jaccard_held_out_mean"] as! Double, 0)
        }
        try assertFailure(["lape", Self.file, "--model", Self.model], "--model is for --stability")
        try assertFailure(["lape", Self.file, "--languages", "C,Java", "--stability", "5", "--model", Self.model],
                          "holds no held-out Java documents for --stability")
    }

    func testLapeWarnsAndShowsEntropies() throws {
        let r = try PolylensCLI.run(["lape", Self.file, "--per-language", "400"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.err.contains("warning: ν = 400 is not reached"), r.err)
        XCTAssertTrue(r.out.contains("Warnings\n- ν = 400 is not reached"), r.out)
        XCTAssertTrue(r.out.contains("entropy"), r.out)
        let j = try json(["lape", Self.file, "--per-language", "400"])
        let neurons = try XCTUnwrap(j["neurons"] as? [String: [[Int]]]), entropies = try XCTUnwrap(j["entropies"] as? [String: [Double]])
        for (lang, list) in neurons { XCTAssertEqual(entropies[lang]?.count, list.count) }
        try assertFailure(["lape", Self.file, "--languages", "C"], "LAPE compares languages and needs at least two; the statistics hold only C")
    }

    func testPlotsAreWellFormedSVG() throws {
        let dir = Self.directory
        for (args, charts) in [(["lape", Self.file], 2), (["mexa", Self.file, "--plot-layer", "2"], 2),
                               (["lens", Self.file, "--source", "Python", "--target", "C"], 3)] {
            let path = "\(dir)/\(args[0]).svg"
            let r = try PolylensCLI.run(args + ["--plot", path, "--format", "csv"])
            XCTAssertEqual(r.status, 0, r.err)
            let parser = XMLParser(contentsOf: URL(fileURLWithPath: path))!
            final class Counter: NSObject, XMLParserDelegate {
                var svg = 0
                func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                    if e == "svg" { svg += 1 }
                }
            }
            let c = Counter()
            parser.delegate = c
            XCTAssertTrue(parser.parse(), "\(path): \(parser.parserError.map { "\($0)" } ?? "")")
            XCTAssertEqual(c.svg, charts + 1, path)
        }
    }

    private func assertFailure(_ arguments: [String], _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try PolylensCLI.run(arguments)
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        XCTAssertTrue(r.err.contains(expected), r.err, file: file, line: line)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err, file: file, line: line)
        XCTAssertEqual(r.out, "", file: file, line: line)
    }

    func testBadInputsAreOneLineErrors() throws {
        try assertFailure(["lape", Self.directory + "/missing.polylens"], "missing.polylens")
        try assertFailure(["lape", Self.file, "--per-language", "5", "--top-rate", "0.1"], "--per-language and --top-rate exclude each other")
        try assertFailure(["lape", Self.file, "--languages", "C,Klingon"], "no language 'Klingon'")
        try assertFailure(["mexa", Self.file, "--pivot", "Rust"], "--pivot Rust is not among C, English, Java, Python")
        try assertFailure(["mexa", Self.file, "--layers", "3-1"], "--layers: '3-1' is not a layer or a range a-b")
        try assertFailure(["mexa", Self.file, "--layers", "9"], "\(Self.file): MEXA: layer 9 is outside 0...4")
        try assertFailure(["lens", Self.file, "--source", "Rust", "--target", "C"], "no lens prompts Rust→C (it holds: C→Python, Python→C)")
        try assertFailure(["ablate", Self.file, "--set", "nope", "--model", Self.model], "no neuron set named nope")
        XCTAssertEqual(try PolylensCLI.run(["lape", Self.file, "--per-language", "3", "--save", "three", "--format", "csv"]).status, 0)
        try assertFailure(["ablate", Self.file, "--set", "three", "--model", SharedFiles.url("models/llama2c/stories260K.bin").path],
                          "stories260K.bin: not the model run 1 used")
        try assertFailure(["ablate", Self.file, "--set", "three", "--model", Self.model, "--eval-tokens", "0"], "--eval-tokens must be ≥ 1")
    }
}

private func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, message, file: file, line: line) }
}
