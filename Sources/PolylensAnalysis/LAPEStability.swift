import Foundation
import PolylensModel
import PolylensStore

/// One document's activation counts: per (layer, neuron) how many of its tokens had a > 0.
public struct DocumentActivity: Sendable {
    public var language: String
    public var tokens: Int64
    /// active[layer * neurons + neuron].
    public var active: [Int64]
    public init(language: String, tokens: Int64, active: [Int64]) { self.language = language; self.tokens = tokens; self.active = active }
}

/// How much a LAPE selection depends on which documents happened to be counted: LAPE rerun on bootstrap
/// resamples of the documents (each language's documents drawn with replacement, as many as it has), and
/// each language's resampled set compared with a reference set by Jaccard index |A ∩ B| / |A ∪ B|.
public struct LAPEStability: Sendable {
    public var languages: [String]
    public var resamples: Int
    /// Documents per language, in `languages` order.
    public var documents: [Int]
    /// jaccard[k][r]: language k's set in resample r against its reference set (1 when both are empty).
    public var jaccard: [[Double]]

    public static let method = "LAPE on bootstrap resamples of documents (per language, with replacement); Jaccard index of each language's set with the reference set"

    public func mean(_ k: Int) -> Double { jaccard[k].reduce(0, +) / Double(max(jaccard[k].count, 1)) }
    public func quantile(_ k: Int, _ q: Double) -> Double { Bootstrap.quantile(jaccard[k].sorted(), q) }

    public static func jaccard(_ a: Set<NeuronRef>, _ b: Set<NeuronRef>) -> Double {
        let union = a.union(b).count
        return union == 0 ? 1 : Double(a.intersection(b).count) / Double(union)
    }

    /// `reference[k]` is language k's set to compare with (e.g. the selection from all counted documents).
    public static func run(_ activity: [DocumentActivity], languages: [String], layers: Int, neurons: Int,
                           reference: [[NeuronRef]], selection: LAPESelection, quantile: Double,
                           resamples: Int, seed: UInt64 = 0) throws -> LAPEStability {
        guard resamples > 0 else { throw AnalysisError("LAPE stability: resamples must be ≥ 1, got \(resamples)") }
        guard reference.count == languages.count else { throw AnalysisError("LAPE stability: \(reference.count) reference sets for \(languages.count) languages") }
        let byLanguage = languages.map { l in activity.filter { $0.language == l } }
        for (k, docs) in byLanguage.enumerated() {
            guard !docs.isEmpty else { throw AnalysisError("LAPE stability: no documents of \(languages[k]) to resample") }
            for d in docs where d.active.count != layers * neurons {
                throw AnalysisError("LAPE stability: a \(languages[k]) document has \(d.active.count) counts, not \(layers) × \(neurons)")
            }
        }
        let references = reference.map(Set.init)
        var rng = SplitMix64(seed: seed)
        var jaccard = [[Double]](repeating: [], count: languages.count)
        let count = languages.count
        for _ in 0..<resamples {
            var values = [Double](repeating: 0, count: layers * neurons * count)
            for (k, docs) in byLanguage.enumerated() {
                var active = [Int64](repeating: 0, count: layers * neurons), tokens: Int64 = 0
                for _ in 0..<docs.count {
                    let d = docs[Int(rng.next() % UInt64(docs.count))]
                    tokens += d.tokens
                    for j in 0..<active.count { active[j] += d.active[j] }
                }
                for j in 0..<active.count { values[j * count + k] = tokens > 0 ? Double(active[j]) / Double(tokens) : 0 }
            }
            let r = try LAPE.run(try ActivationProbabilities(languages: languages, layers: layers, neurons: neurons, values: values),
                                 selection: selection, quantile: quantile)
            for k in 0..<count { jaccard[k].append(Self.jaccard(Set(r.selected[k]), references[k])) }
        }
        return LAPEStability(languages: languages, resamples: resamples, documents: byLanguage.map(\.count), jaccard: jaccard)
    }
}
