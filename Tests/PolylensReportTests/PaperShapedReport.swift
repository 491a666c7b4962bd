import Foundation
@testable import PolylensReport

/// A report of the paper's shape, the largest page the report draws by default: its 7 languages, all 42 ordered
/// lens pairs over 33 residual layers (embeddings and 32 blocks), MEXA over 100 items, LAPE over 32 blocks, and
/// an ablation of every language against every language with a 5-seed control. The values are smooth curves of
/// plausible size; only the page's shape matters to the tests that use it.
enum PaperShapedReport {
    static let languages = ["C", "C#", "C++", "Java", "Javascript", "PHP", "Python"]
    static let layers = Array(0...32)

    static func bump(_ l: Int, centre: Double, width: Double, height: Double) -> Double {
        height * exp(-pow((Double(l) - centre) / width, 2))
    }

    static func pair(_ source: String, _ target: String, label: String? = nil) -> LensSection.Pair {
        let curves: [(String, StudyCharts.LensSeries, (Int) -> Double)] = [
            ("English words", .english, { bump($0, centre: 20, width: 6, height: 0.08) }),
            ("\(target) keywords", .targetKeywords, { bump($0, centre: 26, width: 5, height: 0.2) }),
            ("\(source) keywords", .sourceKeywords, { bump($0, centre: 6, width: 5, height: 0.1) }),
            ("correct next token", .correctToken, { 0.6 * Double($0) / 32 }),
        ]
        return LensSection.Pair(
            source: source, target: target, prompts: 99, positions: 4800, layers: layers,
            curves: curves.map { name, series, f in
                .init(name: name, series: series, values: layers.map(f), low: layers.map { f($0) * 0.9 }, high: layers.map { f($0) * 1.1 })
            },
            topTokens: [0, 8, 16, 24, 32].map { l in .init(layer: l, tokens: [(" if", 0.2), (" for", 0.1), ("\n", 0.05), ("(", 0.04), (" x", 0.01)]) },
            label: label)
    }

    static var data: ReportData {
        let pairs = languages.flatMap { s in languages.filter { $0 != s }.map { pair(s, $0) } }
        let lens = LensSection(pairs: pairs, average: pair("all", "all", label: "Average over all 42 pairs"),
                               method: "Mean over prompts of the probability the logit lens gives to each token set.")
        let n = languages.count
        let scores = layers.map { l in (0..<n).map { a in (0..<n).map { b in a == b ? 1 : min(1, bump(l, centre: 18, width: 10, height: 0.9) + 0.01 * Double(a + b)) } } }
        let mexa = MexaSection(
            languages: languages, layers: layers, scores: scores, heatmapLayers: [0, 16, 32],
            pivotAverages: (0..<n).map { p in layers.map { bump($0, centre: 18, width: 10, height: 0.85) + 0.01 * Double(p) } },
            includesSelf: false, pooling: "weighted", items: 100,
            pivotIntervals: (0..<n).map { p in layers.map { l in
                let v = bump(l, centre: 18, width: 10, height: 0.85) + 0.01 * Double(p)
                return ReportInterval(low: max(0, v - 0.05), high: min(1, v + 0.05))
            } })
        var lape = LapeSection(languages: languages, layers: 32,
                               countsPerLayer: (0..<n).map { k in (0..<32).map { l in Int(bump(l, centre: 28, width: 6, height: 60)) + k } },
                               overlap: (0..<n).map { a in (0..<n).map { b in a == b ? 400 : 10 + a + b } },
                               sharedByAll: [(layer: 31, neuron: 1207)], tau: 0.2371, quantile: 0.95,
                               selection: "per language, the 400 lowest-entropy neurons above τ (the paper's)")
        lape.warnings = ["1 neuron is selected for every language: not specific to any",
                         "PHP rests on 41000 tokens, under 20% of the median language's 250000"]
        var entries: [AblationSection.Entry] = []
        for a in languages {
            for e in languages {
                let own = a == e ? 0.35 : 0.04
                entries.append(.init(ablated: a, evaluated: e, control: false, tokens: 20000, nllBefore: 1.8, nllAfter: 1.8 + own,
                                     interval: ReportInterval(low: own - 0.05, high: own + 0.05)))
                entries.append(.init(ablated: a, evaluated: e, control: true, tokens: 20000, nllBefore: 1.8, nllAfter: 1.83,
                                     spread: 0.01, seeds: 5))
            }
        }
        let ablation = AblationSection(
            setName: "lape", setParameters: #"{"selection":"per_language","value":400}"#,
            provenance: .init(ablationID: 1, setSHA256: String(repeating: "ab", count: 32), setStatus: "saved",
                              settings: #"{"control_seeds":[0,1,2,3,4]}"#, createdAt: "2026-12-02T03:00:00Z", otherRuns: []),
            intervalMethod: "ΔNLL per token, percentile bootstrap, 2000 resamples, 95% interval over the held-out documents",
            entries: entries)
        let provenance = ProvenanceSection(
            file: "/data/codellama-7b.polylens", modelPath: "/models/CodeLlama-7b-hf", modelFormat: "huggingface",
            modelSHA256: String(repeating: "cd", count: 32), tokenizerPath: "/models/CodeLlama-7b-hf/tokenizer.json",
            tokenizerSHA256: String(repeating: "ef", count: 32),
            architecture: [("dim", "4096"), ("n_layers", "32"), ("hidden_dim", "11008"), ("vocab_size", "32016")],
            parameters: [("max_tokens_per_language", "250000"), ("held_out", "0.1")],
            corpora: languages.map { .init(language: $0, documents: 900, tokens: 250_000, heldOutDocuments: 100, heldOutTokens: 25_000, parallelDocuments: 100) },
            fileVersion: "0.9.0", reportVersion: "0.9.0")
        return ReportData(title: "codellama-7b.polylens", provenance: provenance, lens: lens, mexa: mexa, lape: lape, ablation: ablation)
    }
}
