import Foundation
import PolylensModel
import PolylensStore

/// Mean NLL per token of one evaluated language, before and after zeroing a neuron set.
public struct AblationMeasurement: Sendable, Equatable {
    public var language: String
    /// Predicted tokens (each held-out sequence of T tokens predicts T - 1).
    public var tokens: Int
    public var baseline: Double
    public var ablated: Double
    public var change: Double { ablated - baseline }
    /// exp(mean NLL); the original reports the mean NLL itself under the name "ppl".
    public var baselinePerplexity: Double { Foundation.exp(baseline) }
    public var ablatedPerplexity: Double { Foundation.exp(ablated) }
}

/// One ablated set: a language's selected neurons, or the random control drawn to match it.
public struct AblationOutcome: Sendable, Equatable {
    /// The language whose set this is (for a control: the set it matches).
    public var setLanguage: String
    public var isRandomControl: Bool
    public var neurons: [NeuronRef]
    public var measurements: [AblationMeasurement]
}

/// Ablation (METHODS.md §4): zero a = SiLU(gate_proj · x) at a set's neurons in every layer and measure each
/// language's held-out mean NLL per token, against the unablated model and against a random control.
public enum Ablation {
    /// The engine's form of a set: layer → neuron indices (sorted).
    public static func byLayer(_ set: [NeuronRef]) -> [Int: [Int]] {
        Dictionary(grouping: set, by: \.layer).mapValues { $0.map(\.neuron).sorted() }
    }

    /// Random neurons with the same count in each layer as `set`, distinct within a layer, uniform over
    /// the layer's `width` neurons (they may overlap the set itself), drawn from `rng`.
    public static func randomControl(like set: [NeuronRef], width: Int, rng: inout SplitMix64) throws -> [NeuronRef] {
        var out: [NeuronRef] = []
        for (layer, neurons) in byLayer(set).sorted(by: { $0.key < $1.key }) {
            guard neurons.count <= width, neurons.allSatisfy({ $0 >= 0 && $0 < width }) else {
                throw AnalysisError("ablation: layer \(layer) of the set names neurons outside 0..<\(width)")
            }
            // Partial Fisher–Yates over 0..<width, touching only the swapped positions.
            var swapped: [Int: Int] = [:]
            for i in 0..<neurons.count {
                let j = i + Int(rng.next() % UInt64(width - i))
                let (vi, vj) = (swapped[i] ?? i, swapped[j] ?? j)
                swapped[j] = vi
                out.append(NeuronRef(layer: layer, neuron: vj))
            }
        }
        return out.sorted()
    }

    /// A language's evaluation sequences: its held-out documents' token ids in order, cut so that at most
    /// `cap` tokens are predicted in all (nil: every token). Sequences too short to predict anything are skipped.
    public static func evaluationSequences(_ documents: [DocumentInfo], cap: Int?) -> [[Int32]] {
        var left = cap ?? Int.max
        var out: [[Int32]] = []
        for d in documents where d.heldOut && left > 0 {
            guard let ids = d.tokenIds, ids.count >= 2 else { continue }
            let take = left < ids.count ? left + 1 : ids.count
            out.append(Array(ids.prefix(take)))
            left -= take - 1
        }
        return out
    }

    /// Mean NLL per predicted token over `sequences`, with `nll` giving one value per predicted token.
    public static func meanNLL(_ sequences: [[Int32]], nll: ([Int32]) throws -> [Double]) throws -> (mean: Double, tokens: Int) {
        var sum = 0.0, count = 0
        for s in sequences {
            let values = try nll(s)
            guard values.count == s.count - 1 else {
                throw AnalysisError("ablation: the engine gave \(values.count) NLL values for \(s.count) tokens")
            }
            sum += values.reduce(0, +); count += values.count
        }
        return (count > 0 ? sum / Double(count) : .nan, count)
    }

    /// Every language's set ablated in turn (and, with `controlSeed`, a random control per set drawn in set
    /// order from one generator), each measured on every language of `evaluation`.
    /// `evaluate(tokens, ablation)` returns the NLL of tokens[1...] with `ablation` (layer → neurons) zeroed.
    public static func run(sets: [(language: String, neurons: [NeuronRef])], evaluation: [(language: String, sequences: [[Int32]])],
                           width: Int, controlSeed: UInt64?,
                           evaluate: ([Int32], [Int: [Int]]?) throws -> [Double]) throws -> [AblationOutcome] {
        for e in evaluation where e.sequences.isEmpty {
            throw AnalysisError("ablation: language \(e.language) has no held-out tokens to evaluate")
        }
        let baseline = try evaluation.map { e in try meanNLL(e.sequences) { try evaluate($0, nil) } }
        func measure(_ neurons: [NeuronRef]) throws -> [AblationMeasurement] {
            let ablation = byLayer(neurons)
            return try evaluation.enumerated().map { i, e in
                let after = try meanNLL(e.sequences) { try evaluate($0, ablation) }
                return AblationMeasurement(language: e.language, tokens: baseline[i].tokens,
                                           baseline: baseline[i].mean, ablated: after.mean)
            }
        }
        var rng = SplitMix64(seed: controlSeed ?? 0)
        var outcomes: [AblationOutcome] = []
        for s in sets {
            outcomes.append(AblationOutcome(setLanguage: s.language, isRandomControl: false, neurons: s.neurons,
                                            measurements: try measure(s.neurons)))
            if controlSeed != nil {
                let control = try randomControl(like: s.neurons, width: width, rng: &rng)
                outcomes.append(AblationOutcome(setLanguage: s.language, isRandomControl: true, neurons: control,
                                                measurements: try measure(control)))
            }
        }
        return outcomes
    }
}
