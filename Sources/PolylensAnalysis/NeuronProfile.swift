import Foundation
import PolylensStore

/// What one MLP neuron responds to (issue 12): per language its activation rate, mean, quantiles and
/// histogram, and its top-activating contexts over all languages and per language, from the file alone.
public struct NeuronProfile: Sendable {
    public static let quantiles: [Double] = [0.5, 0.9, 0.99, 0.999]

    public struct Language: Sendable {
        public var language: String
        public var tokens: Int64
        /// Tokens with a > 0, and their fraction (LAPE's P).
        public var active: Int64
        public var rate: Double
        public var mean: Double
        public var max: Float
        /// At `NeuronProfile.quantiles`, read from the histogram; nil without histograms.
        public var quantiles: [Float]?
        /// Counts in `ActivationBins`; empty without histograms.
        public var histogram: [Int64]
    }

    public struct Context: Sendable {
        public var value: Float
        public var document: Int64
        public var language: String
        public var source: String
        public var itemKey: String?
        public var position: Int
        /// Token ids around the firing token (−1 outside the document) and the firing token's index in them.
        public var tokens: [Int32]
        public var firing: Int
    }

    public var neuron: NeuronRef
    public var languages: [Language]
    /// Best first, over all languages.
    public var contexts: [Context]
    /// Best first, per language.
    public var contextsByLanguage: [String: [Context]]

    /// Reads the profile of `neuron` from run `run`; `language` restricts the languages (and contexts) shown.
    public init(file: PolylensFile, run: Int64, neuron: NeuronRef, language: String? = nil) throws {
        let stats = try file.neuronStats(run: run).filter { $0.layer == neuron.layer && (language == nil || $0.language == language) }
        guard let width = stats.first?.neurons else {
            if let language { throw AnalysisError("\(file.url.path): run \(run) has no statistics for language \(language) at layer \(neuron.layer)") }
            throw AnalysisError("\(file.url.path): run \(run) has no neuron statistics for layer \(neuron.layer)")
        }
        guard neuron.neuron >= 0, neuron.neuron < width else {
            throw AnalysisError("\(file.url.path): neuron \(neuron.neuron) is outside layer \(neuron.layer)'s 0..<\(width)")
        }
        var histograms: [String: ActivationHistogram] = [:]
        for h in try file.activationHistograms(run: run, language: language, layer: neuron.layer) { histograms[h.language] = h }
        languages = stats.map { s in
            let i = neuron.neuron
            let counts = histograms[s.language].map { Array($0.counts(neuron: i)) } ?? []
            let quantiles = counts.isEmpty ? nil : Self.quantiles.map {
                HistogramQuantile.value($0, counts: counts[...], high: s.max[i]) ?? .nan
            }
            let n = Double(max(s.tokens, 1))
            return Language(language: s.language, tokens: s.tokens, active: s.active[i], rate: Double(s.active[i]) / n,
                            mean: s.sum[i] / n, max: s.max[i], quantiles: quantiles, histogram: counts)
        }
        self.neuron = neuron
        let documents = try file.documentsByID(run: run)
        func contexts(_ scope: String) throws -> [Context] {
            guard let table = try file.neuronContexts(run: run, scope: scope, layer: neuron.layer),
                  table.contexts.indices.contains(neuron.neuron) else { return [] }
            return table.contexts[neuron.neuron].compactMap { c in
                guard let d = documents[c.document], language == nil || d.language == language else { return nil }
                return Context(value: c.value, document: c.document, language: d.language, source: d.source, itemKey: d.itemKey,
                               position: Int(c.position), tokens: c.tokens, firing: table.before)
            }
        }
        self.contexts = try contexts(NeuronContextTable.allLanguages)
        var byLanguage: [String: [Context]] = [:]
        for s in stats { byLanguage[s.language] = try contexts(s.language) }
        contextsByLanguage = byLanguage
    }

    /// A one-line picture of a histogram: one block character per bin, height ∝ log(1 + count).
    public static func sparkline(_ counts: [Int64]) -> String {
        let blocks = Array(" ▁▂▃▄▅▆▇█")
        let top = log1p(Double(counts.max() ?? 0))
        guard top > 0 else { return String(repeating: " ", count: counts.count) }
        return String(counts.map { c in c == 0 ? " " : blocks[max(1, Int((log1p(Double(c)) / top * 8).rounded()))] })
    }
}
