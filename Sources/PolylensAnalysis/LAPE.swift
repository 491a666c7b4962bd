import Foundation
import PolylensStore

/// P[l, i, k] = #(a > 0) / n_k (METHODS.md §3), laid out as the original's layer × neuron × language tensor.
public struct ActivationProbabilities: Sendable {
    public let languages: [String]
    public let layers: Int
    public let neurons: Int
    /// P[l, i, k] at `(l * neurons + i) * languages.count + k`.
    public let values: [Double]

    public init(languages: [String], layers: Int, neurons: Int, values: [Double]) throws {
        guard !languages.isEmpty, layers > 0, neurons > 0 else {
            throw AnalysisError("LAPE needs at least one language, layer and neuron")
        }
        guard values.count == languages.count * layers * neurons else {
            throw AnalysisError("LAPE: \(values.count) probabilities for \(layers) layers × \(neurons) neurons × \(languages.count) languages")
        }
        guard values.allSatisfy({ $0 >= 0 && $0 <= 1 }) else { throw AnalysisError("LAPE: a probability is outside [0, 1] (or NaN)") }
        self.languages = languages; self.layers = layers; self.neurons = neurons; self.values = values
    }

    /// From the stored statistics of every (language, layer); `languages` restricts and orders them
    /// (default: every language in the statistics, sorted).
    public init(stats: [NeuronStats], languages: [String]? = nil) throws {
        let langs = languages ?? Array(Set(stats.map(\.language))).sorted()
        guard !langs.isEmpty else { throw AnalysisError("LAPE: no neuron statistics") }
        var byKey: [String: [Int: NeuronStats]] = [:]
        for s in stats { byKey[s.language, default: [:]][s.layer] = s }
        guard let first = byKey[langs[0]], let width = first.values.first?.neurons else {
            throw AnalysisError("LAPE: no neuron statistics for language \(langs[0])")
        }
        let layers = (first.keys.max() ?? -1) + 1
        var table: [NeuronStats] = []  // language-major, then layer
        for lang in langs {
            guard let perLayer = byKey[lang] else { throw AnalysisError("LAPE: no neuron statistics for language \(lang)") }
            for l in 0..<layers {
                guard let s = perLayer[l] else { throw AnalysisError("LAPE: language \(lang) has no statistics for layer \(l)") }
                guard s.neurons == width else {
                    throw AnalysisError("LAPE: language \(lang) layer \(l) has \(s.neurons) neurons, expected \(width)")
                }
                guard s.tokens > 0 else { throw AnalysisError("LAPE: language \(lang) has no counted tokens") }
                table.append(s)
            }
            if perLayer.keys.contains(where: { $0 < 0 || $0 >= layers }) {
                throw AnalysisError("LAPE: language \(lang) has statistics for layers outside 0..<\(layers)")
            }
        }
        let count = langs.count
        var values = [Double](repeating: 0, count: count * layers * width)
        var inRange = [Bool](repeating: true, count: table.count)
        values.withUnsafeMutableBufferPointer { v in
            inRange.withUnsafeMutableBufferPointer { ok in
                let (vb, okb) = (v.baseAddress!, ok.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: table.count) { t in
                    let (k, l) = (t / layers, t % layers), s = table[t], n = Double(s.tokens)
                    s.active.withUnsafeBufferPointer { a in
                        for i in 0..<width {
                            okb[t] = okb[t] && a[i] >= 0 && a[i] <= s.tokens
                            vb[(l * width + i) * count + k] = Double(a[i]) / n
                        }
                    }
                }
            }
        }
        if let bad = inRange.firstIndex(of: false) {
            throw AnalysisError("LAPE: language \(langs[bad / layers]) layer \(bad % layers) has active counts outside 0...\(table[bad].tokens)")
        }
        self.languages = langs; self.layers = layers; self.neurons = width; self.values = values
    }

    public subscript(layer: Int, neuron: Int, language: Int) -> Double {
        values[(layer * neurons + neuron) * languages.count + language]
    }
}

/// How LAPE picks neurons once τ and the entropies are known.
public enum LAPESelection: Sendable, Equatable {
    /// The paper's: per language, the ν neurons with P > τ of lowest entropy.
    case perLanguage(Int)
    /// The original (Tang et al.): the lowest-entropy `rate` of all neurons, each assigned to every
    /// language with P > τ, so a neuron may belong to several languages.
    case topRate(Double)
}

public struct LAPEResult: Sendable {
    public let languages: [String]
    public let layers: Int
    public let neurons: Int
    public let selection: LAPESelection
    public let quantile: Double
    /// The threshold: the k-th smallest of all N probabilities, k = `tauRank` (1-based).
    public let tau: Double
    public let tauRank: Int
    /// H[l, i] at `l * neurons + i`; +∞ for neurons with no language above τ.
    public let entropy: [Double]
    /// Per language (in `languages` order), the selected neurons sorted by (layer, neuron).
    public let selected: [[NeuronRef]]

    /// Per language, the number of selected neurons in each layer.
    public var countsPerLayer: [[Int]] {
        selected.map { set in
            var c = [Int](repeating: 0, count: layers)
            for n in set { c[n.layer] += 1 }
            return c
        }
    }

    /// overlap[a][b] = neurons selected for both languages a and b (the diagonal is each set's size).
    public var overlap: [[Int]] {
        let sets = selected.map(Set.init)
        return sets.map { a in sets.map { a.intersection($0).count } }
    }
}

/// Language activation probability entropy (METHODS.md §3).
public enum LAPE {
    /// τ and its rank: torch's `kthvalue(round(q·N))` over all N probabilities, with k 1-based (the k-th
    /// smallest) and Python's `round` (half to even). k is clamped to 1…N.
    public static func threshold(_ values: [Double], quantile: Double) -> (tau: Double, rank: Int) {
        let k = min(max(Int((quantile * Double(values.count)).rounded(.toNearestOrEven)), 1), values.count)
        return (values.withUnsafeBufferPointer { Selection.kthSmallest($0, k: k) }, k)
    }

    /// H[l, i] = -Σ_k p̃ ln p̃ with p̃ = P / Σ_k P (0 where the sum is 0, 0·ln 0 = 0), +∞ where no language
    /// has P > τ (such neurons are never selected).
    public static func entropy(_ p: ActivationProbabilities, tau: Double) -> [Double] {
        let count = p.layers * p.neurons, langs = p.languages.count
        var h = [Double](repeating: 0, count: count)
        let chunks = min(count, 64)
        p.values.withUnsafeBufferPointer { v in
            h.withUnsafeMutableBufferPointer { out in
                let outBase = out.baseAddress!
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    for j in (count * c / chunks)..<(count * (c + 1) / chunks) {
                        let row = v.baseAddress! + j * langs
                        var sum = 0.0, above = false
                        for k in 0..<langs { sum += row[k]; above = above || row[k] > tau }
                        guard above else { outBase[j] = .infinity; continue }
                        var e = 0.0
                        for k in 0..<langs where row[k] > 0 {
                            let q = row[k] / sum
                            e -= q * Foundation.log(q)
                        }
                        outBase[j] = e
                    }
                }
            }
        }
        return h
    }

    public static func run(_ p: ActivationProbabilities, selection: LAPESelection = .perLanguage(400),
                           quantile: Double = 0.95) throws -> LAPEResult {
        guard quantile > 0, quantile <= 1 else { throw AnalysisError("LAPE: quantile \(quantile) is not in (0, 1]") }
        // With one language every active neuron has entropy 0: "language-specific" would mean nothing.
        guard p.languages.count >= 2 else {
            throw AnalysisError("LAPE compares languages and needs at least two; the statistics hold only \(p.languages.joined(separator: ", "))")
        }
        let (tau, rank) = threshold(p.values, quantile: quantile)
        let h = entropy(p, tau: tau)
        let langs = p.languages.count
        var chosen = [[Int]](repeating: [], count: langs)
        switch selection {
        case .perLanguage(let nu):
            guard nu >= 0 else { throw AnalysisError("LAPE: --per-language must be ≥ 0, got \(nu)") }
            var picks = [[Int]](repeating: [], count: langs)
            picks.withUnsafeMutableBufferPointer { out in
                let base = out.baseAddress!
                p.values.withUnsafeBufferPointer { v in
                    DispatchQueue.concurrentPerform(iterations: langs) { k in
                        var candidates: [Int32] = []
                        for j in 0..<(p.layers * p.neurons) where v[j * langs + k] > tau { candidates.append(Int32(j)) }
                        base[k] = Selection.smallest(nu, of: candidates, key: { h[$0] })
                    }
                }
            }
            chosen = picks
        case .topRate(let rate):
            guard rate >= 0, rate <= 1 else { throw AnalysisError("LAPE: --top-rate \(rate) is not in [0, 1]") }
            // As the original: topk over all neurons (excluded ones have H = +∞ and no language above τ).
            let total = p.layers * p.neurons
            let k = Int((Double(total) * rate).rounded(.toNearestOrEven))
            let all = (0..<Int32(total)).map { $0 }
            for j in Selection.smallest(k, of: all, key: { h[$0] }) {
                for l in 0..<langs where p.values[j * langs + l] > tau { chosen[l].append(j) }
            }
        }
        let selected = chosen.map { $0.map { NeuronRef(layer: $0 / p.neurons, neuron: $0 % p.neurons) }.sorted() }
        return LAPEResult(languages: p.languages, layers: p.layers, neurons: p.neurons, selection: selection,
                          quantile: quantile, tau: tau, tauRank: rank, entropy: h, selected: selected)
    }
}
