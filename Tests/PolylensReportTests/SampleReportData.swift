import Foundation
@testable import PolylensReport

/// Hand-made report inputs with known shapes: 3 languages (one with characters that need escaping),
/// 5 layers of neurons, 6 hidden-state layers.
enum SampleReportData {
    static let languages = ["C", "C++ <&> \"x\"", "Python"]

    static var provenance: ProvenanceSection {
        ProvenanceSection(file: "/tmp/run.polylens", modelPath: "../shared/models/polycode/model.gguf", modelFormat: "gguf",
                          modelSHA256: String(repeating: "ab", count: 32), tokenizerPath: "tokenizer.model",
                          tokenizerSHA256: String(repeating: "cd", count: 32),
                          architecture: [("dim", "288"), ("n_layers", "5"), ("hidden_dim", "768")],
                          parameters: [("max_tokens", "4096"), ("held_out", "0.1")],
                          corpora: [.init(language: "C", documents: 10, tokens: 5000, heldOutDocuments: 1, heldOutTokens: 400, parallelDocuments: 3),
                                    .init(language: "Python", documents: 8, tokens: 4200)],
                          fileVersion: "0.1.0", reportVersion: "0.1.0")
    }

    static var lens: LensSection {
        let layers = Array(0...5)
        let pair = LensSection.Pair(
            source: "C", target: "Python", prompts: 4, positions: 57, layers: layers,
            curves: [.init(name: "English words", series: .english, values: [0.01, 0.05, 0.2, 0.3, 0.1, 0.02]),
                     .init(name: "Python keywords", series: .targetKeywords, values: [0, 0.01, 0.05, 0.1, 0.3, 0.5]),
                     .init(name: "correct next token", series: .correctToken, values: [0, 0, 0.01, 0.05, 0.4, 0.8])],
            topTokens: [.init(layer: 3, tokens: [(" if", 0.2), ("\u{1}ctl", 0.1), ("<&>", 0.05)]),
                        .init(layer: 5, tokens: [("\n", 0.6), ("def", 0.2)])])
        return LensSection(pairs: [pair, .init(source: "Python", target: "C", prompts: 4, positions: 60, layers: layers,
                                               curves: [.init(name: "English words", series: .english, values: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1])],
                                               topTokens: [])],
                           method: "Token sets: wamerican words; keywords from the paper's lists.")
    }

    static var mexa: MexaSection {
        let layers = Array(0...5)
        let scores = layers.map { l in
            languages.indices.map { a in languages.indices.map { b in a == b ? 1.0 : Double(l) / 6 } }
        }
        return MexaSection(languages: languages, layers: layers, scores: scores, heatmapLayers: [0, 5],
                           pivotAverages: languages.map { _ in layers.map { Double($0) / 6 } },
                           includesSelf: false, pooling: "weighted", items: 100)
    }

    static var lape: LapeSection {
        LapeSection(languages: languages, layers: 5,
                    countsPerLayer: [[1, 2, 3, 4, 5], [0, 0, 1, 1, 8], [2, 2, 2, 2, 2]],
                    overlap: [[15, 3, 2], [3, 10, 1], [2, 1, 10]],
                    sharedByAll: [(layer: 4, neuron: 17)], tau: 0.4321, quantile: 0.95, selection: "per language, ν = 400")
    }

    static var ablation: AblationSection {
        var entries: [AblationSection.Entry] = []
        for a in ["C", "Python"] {
            for e in ["C", "Python"] {
                entries.append(.init(ablated: a, evaluated: e, control: false, tokens: 1000, nllBefore: 2.0,
                                     nllAfter: a == e ? 2.5 : 2.1,
                                     interval: a == e ? ReportInterval(low: 0.41, high: 0.58) : ReportInterval(low: 0.05, high: 0.16)))
                entries.append(.init(ablated: a, evaluated: e, control: true, tokens: 1000, nllBefore: 2.0, nllAfter: 2.05,
                                     spread: 0.01, seeds: 5))
            }
        }
        return AblationSection(setName: "lape", setParameters: #"{"per_language":400,"quantile":0.95}"#,
                               provenance: .init(ablationID: 3, setSHA256: String(repeating: "5e", count: 32), setStatus: "saved",
                                                 settings: #"{"control_seeds":[0,1,2,3,4]}"#, createdAt: "2026-12-02T00:00:00Z", otherRuns: [1]),
                               intervalMethod: "ΔNLL per token, percentile bootstrap, 2000 resamples, 95% interval over the held-out documents",
                               entries: entries)
    }

    static var full: ReportData {
        ReportData(title: "run.polylens", provenance: provenance, lens: lens, mexa: mexa, lape: lape, ablation: ablation)
    }
}
