import PolylensStore

/// When a neuron counts as active for LAPE: the original a > 0, or a threshold read from the activation
/// histograms (issue 12), the variant the original LAPE discussion left open.
public enum ActivationThreshold: Sendable, Equatable {
    /// a above this value, rounded to the nearest bin edge of `ActivationBins` (0 gives exactly LAPE's a > 0).
    case above(Float)
    /// a above the bin that holds the neuron's q-quantile over all languages' tokens together.
    case quantile(Double)
}

extension ActivationProbabilities {
    /// P[l, i, k] = #(a above the threshold) / n_k from the stored histograms of every (language, layer).
    public init(histograms: [ActivationHistogram], languages: [String]? = nil, threshold: ActivationThreshold) throws {
        let langs = languages ?? Array(Set(histograms.map(\.language))).sorted()
        guard !langs.isEmpty else { throw AnalysisError("LAPE: the file holds no activation histograms (ingest them, or use a > 0)") }
        var byKey: [String: [Int: ActivationHistogram]] = [:]
        for h in histograms { byKey[h.language, default: [:]][h.layer] = h }
        guard let first = byKey[langs[0]], let width = first.values.first?.neurons else {
            throw AnalysisError("LAPE: no activation histograms for language \(langs[0])")
        }
        let layers = (first.keys.max() ?? -1) + 1
        let bins = ActivationBins.count
        var table: [[ActivationHistogram]] = []   // layer, then language
        for l in 0..<layers {
            table.append(try langs.map { lang in
                guard let h = byKey[lang]?[l] else { throw AnalysisError("LAPE: language \(lang) has no activation histogram for layer \(l)") }
                guard h.neurons == width else { throw AnalysisError("LAPE: language \(lang) layer \(l) has \(h.neurons) neurons, expected \(width)") }
                return h
            })
        }
        let fixedFirst: Int? = if case .above(let v) = threshold { HistogramQuantile.firstBinAbove(v) } else { nil }
        var values = [Double](repeating: 0, count: langs.count * layers * width)
        for l in 0..<layers {
            for i in 0..<width {
                var firstBin = fixedFirst ?? 0
                if case .quantile(let q) = threshold {
                    var pooled = [Int64](repeating: 0, count: bins)
                    for h in table[l] { for (b, c) in h.counts(neuron: i).enumerated() { pooled[b] += c } }
                    firstBin = (HistogramQuantile.bin(q, counts: pooled[...]) ?? bins - 1) + 1
                }
                for (k, h) in table[l].enumerated() {
                    let counts = h.counts(neuron: i)
                    let n = counts.reduce(0, +)
                    guard n > 0 else { throw AnalysisError("LAPE: language \(langs[k]) has no counted tokens in its histograms") }
                    values[(l * width + i) * langs.count + k] = Double(counts.dropFirst(firstBin).reduce(0, +)) / Double(n)
                }
            }
        }
        try self.init(languages: langs, layers: layers, neurons: width, values: values)
    }
}
