import ArgumentParser
import PolylensAnalysis
import PolylensStore

/// `lape --active-above V | --active-quantile Q`: count a neuron active above a threshold other than 0, read
/// from the activation histograms (issue 12); without either, P counts a > 0 from the neuron statistics.
struct LapeThresholdOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Count a neuron active when a is above V (rounded to the nearest histogram bin edge; 0 = the original).")
    var activeAbove: Float?
    @Option(parsing: .unconditional, help: "Count a neuron active when a is above the bin holding its Q-quantile over all languages (e.g. 0.9).")
    var activeQuantile: Double?

    func check() throws {
        if activeAbove != nil && activeQuantile != nil { throw ValidationError("--active-above and --active-quantile exclude each other") }
        if let q = activeQuantile, !(q > 0 && q < 1) { throw ValidationError("--active-quantile must be in (0, 1), got \(q)") }
        if let v = activeAbove, !v.isFinite { throw ValidationError("--active-above must be a finite number") }
    }

    var threshold: ActivationThreshold? {
        activeAbove.map(ActivationThreshold.above) ?? activeQuantile.map(ActivationThreshold.quantile)
    }

    func probabilities(_ file: PolylensFile, run: Int64, languages: [String]?) throws -> ActivationProbabilities {
        guard let threshold else { return try ActivationProbabilities(stats: try file.neuronStats(run: run), languages: languages) }
        return try ActivationProbabilities(histograms: try file.activationHistograms(run: run), languages: languages, threshold: threshold)
    }
}
