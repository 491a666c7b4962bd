import Foundation
import PolylensAnalysis
import PolylensReport

/// `polylens lens`'s outputs of a `LensSummary`: the terminal table (under 100 columns), CSV rows per pair
/// and layer, JSON layers and the plot.
enum LensTables {
    /// Layer 0 is the embedding output, not a block.
    static func layerName(_ layer: Int) -> String { StudyCharts.layerName(layer) }

    static func table(_ s: LensSummary) -> TextTable {
        var t = TextTable(["layer", "p_correct", "95% CI", "top\(s.topK)", "rank", "entropy", "english", "target_kw", "source_kw"])
        for l in s.layers {
            let p = l.correctProbability
            t.add([layerName(l.layer), AnalysisOutput.number(p.estimate), "[\(AnalysisOutput.number(p.low)), \(AnalysisOutput.number(p.high))]",
                   AnalysisOutput.number(l.correctInTopK, 3), AnalysisOutput.number(l.meanCorrectRank, 1), AnalysisOutput.number(l.entropy, 3)]
                  + l.roleMass.map { AnalysisOutput.number($0.estimate) })
        }
        return t
    }

    /// One row per (pair, layer), then the average over all pairs (source and target `all`) when there are several.
    static func csv(_ all: LensSummary, pairs: [(LensPair, LensSummary)]) -> String {
        let roles = LensRole.allCases.map(\.key)
        var t = TextTable(["source", "target", "layer", "layer_name", "prompts", "positions", "p_correct", "p_correct_low", "p_correct_high",
                           "correct_in_top_k", "mean_rank", "entropy"]
                          + roles.flatMap { ["\($0)_mass", "\($0)_mass_low", "\($0)_mass_high"] } + roles.map { "\($0)_in_top_k" })
        let blocks = pairs.map { ($0.0.source, $0.0.target, $0.1) } + (pairs.count > 1 ? [("all", "all", all)] : [])
        for (source, target, s) in blocks {
            for l in s.layers {
                let interval = { (i: BootstrapInterval) in [i.estimate, i.low, i.high].map { AnalysisOutput.number($0, 6) } }
                t.add([source, target, "\(l.layer)", layerName(l.layer), "\(l.prompts)", "\(l.positions)"] + interval(l.correctProbability)
                      + [l.correctInTopK, l.meanCorrectRank, l.entropy].map { AnalysisOutput.number($0, 6) }
                      + l.roleMass.flatMap(interval) + l.roleInTopK.map { AnalysisOutput.number($0, 6) })
            }
        }
        return t.text(format: .csv)
    }

    struct Interval: Encodable { var estimate, low, high: Double }
    struct Layer: Encodable {
        var layer: Int, layerName: String, prompts: Int, positions: Int
        var correctProbability: Interval, correctInTopK: Double, meanCorrectRank: Double, entropy: Double
        var mass: [String: Interval], inTopK: [String: Double]
    }

    static func layers(_ s: LensSummary) -> [Layer] {
        let interval = { (i: BootstrapInterval) in Interval(estimate: i.estimate, low: i.low, high: i.high) }
        let roles = LensRole.allCases.map(\.key)
        return s.layers.map { l in
            Layer(layer: l.layer, layerName: layerName(l.layer), prompts: l.prompts, positions: l.positions,
                  correctProbability: interval(l.correctProbability), correctInTopK: l.correctInTopK,
                  meanCorrectRank: l.meanCorrectRank, entropy: l.entropy,
                  mass: Dictionary(uniqueKeysWithValues: zip(roles, l.roleMass.map(interval))),
                  inTopK: Dictionary(uniqueKeysWithValues: zip(roles, l.roleInTopK)))
        }
    }

    /// Mass (with intervals) and top-k membership per layer of the correct token and each role's set, and the entropy;
    /// the mass chart is the report's lens chart (`StudyCharts.lens`), in the same colours.
    static func charts(_ s: LensSummary, title: String) -> [SVGElement] {
        let names = ["English words", "target keywords", "source keywords"]
        let layers = s.layers.map(\.layer)
        let correct = s.layers.map(\.correctProbability)
        let mass = [StudyCharts.LensCurve(name: "correct next token", series: .correctToken, values: correct.map(\.estimate),
                                          low: correct.map(\.low), high: correct.map(\.high))]
            + names.indices.map { k in
                StudyCharts.LensCurve(name: names[k], series: .role(k), values: s.layers.map { $0.roleMass[k].estimate },
                                      low: s.layers.map { $0.roleMass[k].low }, high: s.layers.map { $0.roleMass[k].high })
            }
        let membership = [StudyCharts.LensCurve(name: "correct next token", series: .correctToken, values: s.layers.map(\.correctInTopK))]
            + names.indices.map { k in StudyCharts.LensCurve(name: names[k], series: .role(k), values: s.layers.map { $0.roleInTopK[k] }) }
        var entropy = LineChart(
            title: "Entropy \(title)", description: "Mean entropy of the lens distribution per layer.",
            xLabel: AxisLabel("layer", unit: "0 = embeddings"), yLabel: AxisLabel("entropy", unit: "nats"),
            series: [LineChart.Series(name: "entropy", values: s.layers.map(\.entropy))])
        entropy.xTickNames = [0: StudyCharts.layerName(0)]
        return [StudyCharts.lens(title: "Logit lens \(title)",
                                 description: "Mean probability of the correct next token and of each token set, per layer, over \(s.prompts) prompts, with 95% intervals.",
                                 layers: layers, curves: mass, width: 720, height: 380),
                StudyCharts.lens(title: "Top-\(s.topK) membership \(title)",
                                 description: "Fraction of positions whose top-\(s.topK) tokens include the correct token or a token of each set.",
                                 layers: layers, curves: membership, yLabel: AxisLabel("fraction of positions"), width: 720, height: 380),
                entropy.svg]
    }
}
