import Foundation

/// The one-sentence reading of each analysis that opens the report, computed from the numbers the page shows
/// (never written by hand), with the warnings that qualify it.
public enum StudyFindings {
    /// The lens curves of the average over all pairs (or of the only pair): where each token set peaks, how the
    /// middle third of the layers splits between English and the two languages' keywords, and where the correct
    /// token ends.
    public static func lens(_ pair: LensSection.Pair, pairs: Int) -> String {
        let curve = { (s: StudyCharts.LensSeries) in pair.curves.first { $0.series == s } }
        var parts: [String] = []
        for (series, name) in [(StudyCharts.LensSeries.english, "English words"), (.targetKeywords, "the target's keywords"),
                               (.sourceKeywords, "the source's keywords")] {
            guard let c = curve(series), let peak = peak(c.values) else { continue }
            parts.append("\(name) peak \(at(pair.layers[peak])) (\(percent(c.values[peak])))")
        }
        let scope = pairs > 1 ? "Averaged over all \(pairs) pairs" : "For \(pair.source) → \(pair.target)"
        var sentence = scope + (parts.isEmpty ? "" : ", " + list(parts))
        let middle = middleThird(pair.layers.count)
        let means = [StudyCharts.LensSeries.english, .targetKeywords, .sourceKeywords].compactMap { s in
            curve(s).flatMap { c in mean(middle.map { c.values[safe: $0] ?? .nan }).map { (s, $0) } }
        }
        if let english = means.first(where: { $0.0 == .english })?.1, means.count > 1, !middle.isEmpty {
            let keywords = means.filter { $0.0 != .english }.map(\.1).max() ?? .nan
            sentence += "; in the middle third (\(range(pair.layers[middle.first!], pair.layers[middle.last!]))) English words get "
                + "\(percent(english)) against at most \(percent(keywords)) for either language's keywords"
                + (english > keywords ? ", more than either" : ", less than the keywords")
        }
        if let c = curve(.correctToken), let first = c.values.first, let last = c.values.last, first.isFinite, last.isFinite {
            sentence += "; the correct next token rises from \(percent(first)) at the embeddings to \(percent(last)) at the last layer"
        }
        return sentence + "."
    }

    /// Where alignment peaks, and which pivot aligns best and worst with the others there.
    public static func mexa(_ m: MexaSection) -> String {
        let overall = m.layers.indices.map { i in mean(m.pivotAverages.map { $0[safe: i] ?? .nan }) ?? .nan }
        guard let best = peak(overall) else { return "No pair of languages was scored." }
        let there = m.pivotAverages.enumerated().compactMap { p, v in v[safe: best].flatMap { $0.isFinite ? (p, $0) : nil } }
        var sentence = "Cross-lingual alignment, averaged over pivots, is \(fixed(overall.first ?? .nan)) \(at(m.layers[0])) and peaks "
            + "\(at(m.layers[best])) (\(fixed(overall[best])))"
        if let last = overall.last, best != overall.count - 1 { sentence += ", ending at \(fixed(last))" }
        if let top = there.max(by: { $0.1 < $1.1 }), let bottom = there.min(by: { $0.1 < $1.1 }), top.0 != bottom.0 {
            sentence += "; there \(m.languages[top.0]) aligns best with the others (\(fixed(top.1))) and \(m.languages[bottom.0]) least (\(fixed(bottom.1)))"
        }
        return sentence + "."
    }

    /// How many neurons LAPE selected and where in depth they sit.
    public static func lape(_ l: LapeSection) -> String {
        let sizes = l.countsPerLayer.map { $0.reduce(0, +) }
        let perLayer = (0..<l.layers).map { layer in l.countsPerLayer.map { $0[safe: layer] ?? 0 }.reduce(0, +) }
        let total = sizes.reduce(0, +)
        guard total > 0, let lo = sizes.min(), let hi = sizes.max() else { return "LAPE selected no neuron for any language." }
        let thirds = [0, 1, 2].map { k in (k * l.layers / 3)..<((k + 1) * l.layers / 3) }
        let shares = thirds.map { r in Double(r.map { perLayer[$0] }.reduce(0, +)) / Double(total) }
        let names = ["first", "middle", "last"]
        let top = shares.indices.max { shares[$0] < shares[$1] }!
        let busiest = perLayer.indices.max { perLayer[$0] < perLayer[$1] }!
        return "LAPE selects \(total) neurons over \(l.languages.count) languages (\(lo == hi ? "\(lo)" : "\(lo)–\(hi)") per language); "
            + "\(percent(shares[top], decimals: 0)) of them lie in the \(names[top]) third "
            + "(\(range(thirds[top].lowerBound, thirds[top].upperBound - 1, blocks: true))), most in layer \(busiest) (\(perLayer[busiest]))"
            + (l.sharedByAll.isEmpty ? "." : ", and \(l.sharedByAll.count) \(l.sharedByAll.count == 1 ? "is" : "are") selected for every language.")
    }

    /// The own-set effect against the control, per language, and the pooled contrast with the other languages.
    public static func ablation(_ a: AblationSection) -> String {
        let rows = ownVersusControl(a)
        guard !rows.isEmpty else { return "No language was scored on its own held-out tokens." }
        let withControl = rows.filter { $0.control.isFinite }
        let own = mean(rows.map(\.own)) ?? .nan
        let others = mean(a.entries.filter { !$0.control && $0.ablated != $0.evaluated }.map(\.change))
        var sentence = "Zeroing a language's own neurons changes its held-out NLL by \(signed(own)) nats/token on average"
        if let others { sentence += " (\(signed(others)) for the other languages)" }
        if withControl.isEmpty {
            sentence += "; there is no random control to compare with"
        } else {
            let above = withControl.filter { $0.own > $0.control }.count
            let clear = withControl.filter { $0.ownLow.isFinite && $0.ownLow > $0.control }.count
            sentence += "; more than random neurons of the same per-layer counts for \(above) of \(withControl.count) languages"
            if rows.contains(where: { $0.ownLow.isFinite }) { sentence += ", with the whole 95% interval above the control's mean for \(clear)" }
        }
        return sentence + "."
    }

    /// What qualifies the ablation's reading: no control, a single seed, own effects within the control's spread,
    /// a set replaced since, rows without provenance.
    public static func ablationWarnings(_ a: AblationSection) -> [String] {
        var out: [String] = []
        let rows = ownVersusControl(a)
        if !a.entries.contains(where: \.control) {
            out.append("no random control: the effect cannot be told from that of zeroing as many neurons anywhere")
        } else if let seeds = a.entries.filter(\.control).map(\.seeds).max(), seeds < 2 {
            out.append("the control has \(seeds == 0 ? "an unknown number of seeds" : "one seed"): its spread is unknown")
        }
        let within = rows.filter { $0.controlSpread.isFinite && $0.own <= $0.control + 2 * $0.controlSpread }.map(\.language)
        if !within.isEmpty { out.append("within two standard deviations of the control: \(within.joined(separator: ", "))") }
        if let p = a.provenance, p.setStatus != "saved" { out.append("the set “\(a.setName)” was \(p.setStatus) this ablation") }
        if a.provenance == nil { out.append("these rows predate recorded provenance: the selection and settings behind them are unknown") }
        return out
    }

    /// Each language whose own set was zeroed and whose own held-out tokens were scored.
    public static func ownVersusControl(_ a: AblationSection) -> [StudyCharts.OwnVersusControl] {
        var languages: [String] = []
        for e in a.entries where e.ablated == e.evaluated && !languages.contains(e.ablated) { languages.append(e.ablated) }
        return languages.compactMap { lang in
            guard let own = a.entries.first(where: { !$0.control && $0.ablated == lang && $0.evaluated == lang }) else { return nil }
            let control = a.entries.first { $0.control && $0.ablated == lang && $0.evaluated == lang }
            return .init(language: lang, own: own.change, ownLow: own.interval.low, ownHigh: own.interval.high,
                         control: control?.change ?? .nan, controlSpread: control?.spread ?? .nan)
        }
    }

    // MARK: - Numbers as sentences say them

    /// "at the embeddings" or "at layer 12".
    static func at(_ layer: Int) -> String { layer == 0 ? "at the embeddings" : "at layer \(layer)" }

    /// "layer 3" or "layers 2–5"; a residual-stream layer 0 is the embeddings, a block (LAPE's MLP layers) 0 is not.
    static func range(_ first: Int, _ last: Int, blocks: Bool = false) -> String {
        let name = { (l: Int) in blocks ? "\(l)" : StudyCharts.layerName(l) }
        return first == last ? "layer \(name(first))" : "layers \(name(first))–\(last)"
    }

    /// The index of the largest finite value.
    static func peak(_ values: [Double]) -> Int? {
        values.indices.filter { values[$0].isFinite }.max { values[$0] < values[$1] }
    }

    static func mean(_ values: [Double]) -> Double? {
        let finite = values.filter(\.isFinite)
        return finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count)
    }

    /// Indices of the middle third of `count` layers (at least one when there are three or more).
    static func middleThird(_ count: Int) -> [Int] {
        guard count >= 3 else { return [] }
        return Array((count / 3)..<max(count / 3 + 1, (2 * count) / 3))
    }

    static func percent(_ p: Double, decimals: Int = 1) -> String {
        p.isFinite ? String(format: "%.\(decimals)f%%", p * 100) : "n/a"
    }

    static func fixed(_ v: Double) -> String { v.isFinite ? String(format: "%.2f", v) : "n/a" }

    static func signed(_ v: Double) -> String { v.isFinite ? String(format: "%+.3f", v) : "n/a" }

    static func list(_ parts: [String]) -> String {
        parts.count < 2 ? parts.joined() : parts.dropLast().joined(separator: ", ") + " and " + parts.last!
    }
}
