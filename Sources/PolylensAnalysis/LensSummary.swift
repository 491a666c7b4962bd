import Foundation
import PolylensStore
import PolylensTokenizer

/// The token sets a prompt is read against, by role: the same three for every pair, so that curves of
/// different pairs can be averaged (each prompt's own target and source languages).
public enum LensRole: Int, Sendable, CaseIterable {
    case english, target, source

    /// The role's name in outputs (snake_case keys): `english`, `target_keywords`, `source_keywords`.
    public var key: String { ["english", "target_keywords", "source_keywords"][rawValue] }

    /// The set of the run's token sets that plays this role for a prompt; nil when there is none
    /// (e.g. a language without a keyword list).
    func set(in sets: [TokenSet], source: String, target: String) -> Int? {
        switch self {
        case .english: return sets.firstIndex { $0.kind == TokenSet.english }
        case .target: return sets.firstIndex { $0.kind == TokenSet.keywords && $0.language?.caseInsensitiveCompare(target) == .orderedSame }
        case .source: return sets.firstIndex { $0.kind == TokenSet.keywords && $0.language?.caseInsensitiveCompare(source) == .orderedSame }
        }
    }
}

/// A translation direction of the lens prompts.
public struct LensPair: Hashable, Sendable {
    public var source: String
    public var target: String
    public init(source: String, target: String) { self.source = source; self.target = target }
}

/// Per layer, the lens averaged over prompts: each prompt's positions are averaged first, then every prompt
/// weighs the same (so the curve over all pairs is the prompt-weighted mean of the pairs' curves). The
/// probability curves carry a percentile-bootstrap interval over prompts (`Bootstrap.mean`).
public struct LensLayerSummary: Sendable {
    public var layer: Int
    /// Prompts and positions averaged.
    public var prompts: Int
    public var positions: Int
    public var correctProbability: BootstrapInterval
    /// Fraction of positions whose top-k holds the correct next token (per prompt, then averaged).
    public var correctInTopK: Double
    public var meanCorrectRank: Double
    public var entropy: Double
    /// Per role (`LensRole`): mass, and the fraction of positions with a top-k token in the set; NaN estimates
    /// where no prompt has a set for the role.
    public var roleMass: [BootstrapInterval]
    public var roleInTopK: [Double]
}

public struct LensSummary: Sendable {
    public var topK: Int
    public var prompts: Int
    /// (source, target) pairs averaged, sorted.
    public var pairs: [LensPair]
    public var layers: [LensLayerSummary]
    /// How the intervals were made.
    public var intervalMethod: String

    /// Averages `results` (any mix of pairs) read against `sets` (the run's token sets, in stored order).
    public static func of(_ results: [LensPromptResult], sets: [TokenSet], level: Double = 0.95,
                          resamples: Int = Bootstrap.defaultResamples) throws -> LensSummary {
        guard let first = results.first else { throw AnalysisError("lens: no prompts") }
        guard results.allSatisfy({ $0.layers == first.layers && $0.columns.topK == first.columns.topK && $0.columns.sets == sets.count }) else {
            throw AnalysisError("lens: prompts with different layers, top-k or token sets cannot be averaged together")
        }
        let layers = first.layers, roles = LensRole.allCases.count
        // perPrompt[prompt][layer]: the position means of one prompt (NaN: no positions or no set for the role).
        struct Means { var correct = 0.0, inTop = 0.0, rank = 0.0, entropy = 0.0; var mass: [Double], inSet: [Double] }
        let perPrompt: [[Means]] = results.map { r in
            let roleSets = LensRole.allCases.map { $0.set(in: sets, source: r.source, target: r.target) }
            let next = r.next, n = Double(r.positions), c = r.columns
            return (0..<layers).map { l in
                var m = Means(mass: roleSets.map { $0 == nil ? .nan : 0 }, inSet: roleSets.map { $0 == nil ? .nan : 0 })
                for p in 0..<r.positions {
                    let row = r.row(layer: l, position: p), top = r.top(row)
                    m.correct += Double(c.correctProbability[row]); m.rank += Double(c.correctRank[row])
                    m.entropy += Double(c.entropy[row]); m.inTop += top.contains(next[p]) ? 1 : 0
                    for (role, s) in roleSets.enumerated() {
                        guard let s else { continue }
                        m.mass[role] += Double(c.setMass[row * c.sets + s])
                        m.inSet[role] += top.contains(where: sets[s].contains) ? 1 : 0
                    }
                }
                m.correct /= n; m.inTop /= n; m.rank /= n; m.entropy /= n
                m.mass = m.mass.map { $0 / n }; m.inSet = m.inSet.map { $0 / n }
                return m
            }
        }
        let positions = results.reduce(0) { $0 + $1.positions }
        var summaries = [LensLayerSummary?](repeating: nil, count: layers)
        summaries.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: layers) { l in
                let all = perPrompt.map { $0[l] }.filter { $0.correct.isFinite }
                func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }
                func interval(_ v: [Double]) -> BootstrapInterval { Bootstrap.mean(v, level: level, resamples: resamples) }
                base[l] = LensLayerSummary(
                    layer: l, prompts: all.count, positions: positions,
                    correctProbability: interval(all.map(\.correct)), correctInTopK: mean(all.map(\.inTop)),
                    meanCorrectRank: mean(all.map(\.rank)), entropy: mean(all.map(\.entropy)),
                    roleMass: (0..<roles).map { k in interval(all.map { $0.mass[k] }.filter(\.isFinite)) },
                    roleInTopK: (0..<roles).map { k in mean(all.map { $0.inSet[k] }.filter(\.isFinite)) })
            }
        }
        let pairs = Set(results.map { LensPair(source: $0.source, target: $0.target) })
            .sorted { ($0.source, $0.target) < ($1.source, $1.target) }
        return LensSummary(topK: first.columns.topK, prompts: results.count, pairs: pairs, layers: summaries.map { $0! },
                           intervalMethod: BootstrapInterval(estimate: .nan, low: .nan, high: .nan, level: level, resamples: resamples).method
                               + " over prompts")
    }

    /// At one layer, the tokens with the highest mean probability over all positions (0 where a token is not in
    /// the top-k), best first, ties to the lower id.
    public static func topTokens(_ results: [LensPromptResult], layer: Int, count: Int) -> [(id: Int32, probability: Double)] {
        var mass: [Int32: Double] = [:]
        var positions = 0
        for r in results where layer < r.layers {
            let c = r.columns
            for p in 0..<r.positions {
                let row = r.row(layer: layer, position: p)
                positions += 1
                for j in 0..<c.topK { mass[c.topIds[row * c.topK + j], default: 0] += Double(c.topProbabilities[row * c.topK + j]) }
            }
        }
        return mass.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(count)
            .map { ($0.key, $0.value / Double(max(positions, 1))) }
    }
}
