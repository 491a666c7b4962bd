import Foundation

/// What makes a LAPE selection doubtful, said next to it rather than left for the reader to find: a ν that no
/// language reaches, sets that mostly overlap, neurons "specific" to every language, a language with far fewer
/// tokens than the others (its probabilities are noisier).
public enum LAPEWarnings {
    /// A language has fewer tokens than this fraction of the median language's.
    public static let fewTokensFraction = 0.2
    /// A set shares more than this fraction of its neurons with another language's.
    public static let overlapFraction = 0.5

    /// One line per problem, in a fixed order; `tokens` is each language's counted tokens.
    public static func of(_ r: LAPEResult, tokens: [String: Int64]) -> [String] {
        var out: [String] = []
        let sizes = r.selected.map(\.count)
        if case .perLanguage(let nu) = r.selection {
            let short = r.languages.indices.filter { sizes[$0] < nu }
            if !short.isEmpty {
                out.append("ν = \(nu) is not reached: " + short.map { "\(r.languages[$0]) has \(sizes[$0])" }.joined(separator: ", ")
                           + " (only neurons with P > τ can be selected)")
            }
        }
        let overlap = r.overlap
        for a in r.languages.indices where sizes[a] > 0 {
            for b in r.languages.indices where b != a && Double(overlap[a][b]) > overlapFraction * Double(sizes[a]) {
                out.append("\(r.languages[a])'s set shares \(overlap[a][b]) of its \(sizes[a]) neurons with \(r.languages[b])'s")
            }
        }
        let shared = r.selected.dropFirst().reduce(Set(r.selected.first ?? [])) { $0.intersection($1) }
        if !shared.isEmpty {
            out.append("\(shared.count) neuron\(shared.count == 1 ? " is" : "s are") selected for every language: not specific to any")
        }
        let counts = r.languages.compactMap { tokens[$0] }.sorted()
        if counts.count == r.languages.count, !counts.isEmpty {
            let median = counts.count % 2 == 1 ? Double(counts[counts.count / 2])
                                               : Double(counts[counts.count / 2 - 1] + counts[counts.count / 2]) / 2
            for lang in r.languages where Double(tokens[lang]!) < fewTokensFraction * median {
                out.append("\(lang) rests on \(tokens[lang]!) tokens, under \(Int(fewTokensFraction * 100))% of the median language's \(Int(median))")
            }
        }
        return out
    }
}
