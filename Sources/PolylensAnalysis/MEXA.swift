import CBLAS
import Foundation
import PolylensStore

/// Pooled embeddings of the same parallel items in several languages: the input of MEXA.
public struct ParallelEmbeddings: Sendable {
    public let languages: [String]
    /// The items used, in order: keys present in every language, sorted, the first `items` of them.
    public let items: [String]
    public let layers: Int
    public let dim: Int
    /// summaries[language][item], each layers × dim.
    public let summaries: [[DocumentSummary]]

    /// Groups stored summaries by language and item key (documents without a key are ignored).
    /// `languages` restricts and orders them (default: all, sorted); `items` caps the item count.
    public init(_ documents: [(document: DocumentInfo, summary: DocumentSummary)], languages: [String]? = nil,
                items: Int? = nil) throws {
        var byLanguage: [String: [String: DocumentSummary]] = [:]
        for (doc, summary) in documents {
            guard let key = doc.itemKey else { continue }
            byLanguage[doc.language, default: [:]][key] = summary
        }
        let langs = languages ?? byLanguage.keys.sorted()
        guard langs.count >= 2 else { throw AnalysisError("MEXA needs at least two languages with parallel items, found \(langs.count)") }
        for l in langs where byLanguage[l] == nil { throw AnalysisError("MEXA: no parallel items for language \(l)") }
        var common = Set(byLanguage[langs[0]]!.keys)
        for l in langs.dropFirst() { common.formIntersection(byLanguage[l]!.keys) }
        var keys = common.sorted()
        if let cap = items {
            guard cap >= 1 else { throw AnalysisError("MEXA: --items must be ≥ 1, got \(cap)") }
            keys = Array(keys.prefix(cap))
        }
        guard keys.count >= 2 else {
            throw AnalysisError("MEXA: \(keys.count) item(s) shared by \(langs.joined(separator: ", ")); at least 2 are needed")
        }
        let table = langs.map { l in keys.map { byLanguage[l]![$0]! } }
        try self.init(languages: langs, items: keys, summaries: table)
    }

    public init(languages: [String], items: [String], summaries: [[DocumentSummary]]) throws {
        guard let first = summaries.first?.first else { throw AnalysisError("MEXA: no embeddings") }
        for (l, row) in summaries.enumerated() {
            guard row.count == items.count else { throw AnalysisError("MEXA: \(languages[l]) has \(row.count) items, expected \(items.count)") }
            for (i, s) in row.enumerated() where s.layers != first.layers || s.dim != first.dim || s.values.count != s.layers * s.dim {
                throw AnalysisError("MEXA: \(languages[l]) item \(items[i]) has \(s.layers) layers × \(s.dim) (\(s.values.count) values), expected \(first.layers) × \(first.dim)")
            }
        }
        self.languages = languages; self.items = items; self.summaries = summaries
        layers = first.layers; dim = first.dim
    }
}

/// The alignment of every language pair at each requested layer.
public struct MEXAResult: Sendable {
    public let languages: [String]
    public let items: [String]
    public let layers: [Int]
    /// scores[layer index][a][b] = MEXA(a, b) (symmetric; the diagonal is the self-pair).
    public let scores: [[[Double]]]
    /// hits[layer index][a][b][i] = 1 when item i counts for the pair (scores are their means): the units the
    /// intervals resample. Empty when the result was made from scores alone.
    public let hits: [[[[UInt8]]]]

    public init(languages: [String], items: [String], layers: [Int], scores: [[[Double]]], hits: [[[[UInt8]]]] = []) {
        self.languages = languages; self.items = items; self.layers = layers; self.scores = scores; self.hits = hits
    }

    /// Percentile-bootstrap intervals over items of every pair's score, [layer index][a][b]: each resample
    /// draws items with replacement and averages their hits (the hits are decided on all items, since a
    /// duplicated item would tie with itself under the strict rule).
    public func intervals(level: Double = 0.95, resamples: Int = Bootstrap.defaultResamples) -> [[[BootstrapInterval]]] {
        hits.map { layer in
            layer.map { row in
                row.map { h in
                    Bootstrap.interval(units: h.count, level: level, resamples: resamples) { idx in
                        Double(idx.reduce(0) { $0 + Int(h[$1]) }) / Double(idx.count)
                    }
                }
            }
        }
    }

    /// Intervals of `pivotAverages` over items, [layer index][pivot]: one resample of items serves every
    /// target of the average, so their dependence through shared items is kept.
    public func pivotAverageIntervals(targets: [String]? = nil, includeSelf: Bool = false, level: Double = 0.95,
                                      resamples: Int = Bootstrap.defaultResamples) -> [[BootstrapInterval]] {
        let targetIndices = (targets ?? languages).compactMap { languages.firstIndex(of: $0) }
        return hits.map { layer in
            languages.indices.map { p in
                let bs = targetIndices.filter { includeSelf || $0 != p }
                return Bootstrap.interval(units: bs.isEmpty ? 0 : items.count, level: level, resamples: resamples) { idx in
                    var total = 0
                    for b in bs { let h = layer[p][b]; for i in idx { total += Int(h[i]) } }
                    return Double(total) / Double(idx.count * bs.count)
                }
            }
        }
    }

    /// Per layer and pivot, the mean of MEXA(pivot, b) over the `targets` (default: every language),
    /// leaving out b = pivot unless `includeSelf` (the paper includes it).
    public func pivotAverages(targets: [String]? = nil, includeSelf: Bool = false) -> [[Double]] {
        let targetIndices = (targets ?? languages).compactMap { languages.firstIndex(of: $0) }
        return scores.map { m in
            languages.indices.map { p in
                let bs = targetIndices.filter { includeSelf || $0 != p }
                return bs.isEmpty ? .nan : bs.map { m[p][$0] }.reduce(0, +) / Double(bs.count)
            }
        }
    }
}

/// MEXA cross-lingual alignment (METHODS.md §2).
public enum MEXA {
    /// (1/n) Σ_i 1[S[i,i] > max_{j≠i} S[i,j] and S[i,i] > max_{j≠i} S[j,i]] for the n × n row-major `s`:
    /// the diagonal must be the strict maximum of its row and its column (a tie does not count).
    /// With n = 1 the empty maximum is -∞, so the single item counts.
    public static func alignment(_ s: UnsafeBufferPointer<Double>, n: Int) -> Double {
        Double(hits(s, n: n).reduce(0) { $0 + Int($1) }) / Double(n)
    }

    /// Per item i, 1 when S[i,i] is the strict maximum of its row and its column, else 0.
    public static func hits(_ s: UnsafeBufferPointer<Double>, n: Int) -> [UInt8] {
        (0..<n).map { i in
            let d = s[i * n + i]
            for j in 0..<n where j != i {
                if s[i * n + j] >= d || s[j * n + i] >= d { return 0 }
            }
            return 1
        }
    }

    public static func alignment(_ s: [Double], n: Int) -> Double {
        s.withUnsafeBufferPointer { alignment($0, n: n) }
    }

    /// Rows scaled to unit length in Float64 (zero rows stay zero, so their cosine is 0, as sklearn's).
    static func normalizedRows(_ e: ParallelEmbeddings, layer: Int) -> [Double] {
        let n = e.items.count, d = e.dim
        var x = [Double](repeating: 0, count: e.languages.count * n * d)
        x.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            DispatchQueue.concurrentPerform(iterations: e.languages.count) { a in
                for i in 0..<n {
                    let row = base + (a * n + i) * d
                    e.summaries[a][i].values.withUnsafeBufferPointer { v in
                        let src = v.baseAddress! + layer * d
                        var ss = 0.0
                        for t in 0..<d { let f = Double(src[t]); row[t] = f; ss += f * f }
                        if ss > 0 { let inv = 1 / ss.squareRoot(); for t in 0..<d { row[t] *= inv } }
                    }
                }
            }
        }
        return x
    }

    /// MEXA of every pair at each of `layers` (default: all). One Float64 Gram matrix per layer
    /// (`dsyrk` over all languages' items stacked) gives every pair's cosine matrix at once. `progress`, when
    /// given, is called after each layer (581 items at Llama-3.1-8B's width take tens of seconds).
    public static func run(_ e: ParallelEmbeddings, layers: [Int]? = nil, progress: (() -> Void)? = nil) throws -> MEXAResult {
        let chosen = layers ?? Array(0..<e.layers)
        for l in chosen where l < 0 || l >= e.layers {
            throw AnalysisError("MEXA: layer \(l) is outside 0...\(e.layers - 1)")
        }
        let n = e.items.count, m = e.languages.count, rows = m * n
        var gram = [Double](repeating: 0, count: rows * rows)
        var block = [Double](repeating: 0, count: n * n)
        var scores: [[[Double]]] = [], hits: [[[[UInt8]]]] = []
        for l in chosen {
            let x = normalizedRows(e, layer: l)
            cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(e.dim), 1, x, Int32(e.dim),
                        0, &gram, Int32(rows))
            var m2 = [[Double]](repeating: [Double](repeating: 0, count: m), count: m)
            var h2 = [[[UInt8]]](repeating: [[UInt8]](repeating: [], count: m), count: m)
            for a in 0..<m {
                for b in a..<m {
                    // Only the upper triangle is written: for a == b mirror it.
                    for i in 0..<n {
                        for j in 0..<n {
                            let (r, c) = (a * n + i, b * n + j)
                            block[i * n + j] = r <= c ? gram[r * rows + c] : gram[c * rows + r]
                        }
                    }
                    let h = block.withUnsafeBufferPointer { Self.hits($0, n: n) }
                    let v = Double(h.reduce(0) { $0 + Int($1) }) / Double(n)
                    m2[a][b] = v; m2[b][a] = v
                    h2[a][b] = h; h2[b][a] = h
                }
            }
            scores.append(m2); hits.append(h2)
            progress?()
        }
        return MEXAResult(languages: e.languages, items: e.items, layers: chosen, scores: scores, hits: hits)
    }
}
