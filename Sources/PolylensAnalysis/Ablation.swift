import Foundation
import PolylensEngine
import PolylensModel
import PolylensStore

/// One held-out document's mean NLL per predicted token before and after an ablation.
public struct DocumentNLL: Sendable, Equatable {
    /// `documents.id`.
    public var document: Int64
    /// Predicted tokens evaluated.
    public var tokens: Int
    public var baseline: Double
    public var ablated: Double
    public init(document: Int64, tokens: Int, baseline: Double, ablated: Double) {
        self.document = document; self.tokens = tokens; self.baseline = baseline; self.ablated = ablated
    }
    public var change: Double { ablated - baseline }
}

/// Mean NLL per token of one evaluated language, before and after ablating a neuron set, and per document.
public struct AblationMeasurement: Sendable, Equatable {
    public var language: String
    /// Predicted tokens (each held-out sequence of T tokens predicts T - 1).
    public var tokens: Int
    public var baseline: Double
    public var ablated: Double
    /// The evaluated documents, in evaluation order: the units the interval resamples.
    public var documents: [DocumentNLL]
    public var change: Double { ablated - baseline }
    /// exp(mean NLL); the original reports the mean NLL itself under the name "ppl".
    public var baselinePerplexity: Double { Foundation.exp(baseline) }
    public var ablatedPerplexity: Double { Foundation.exp(ablated) }

    public init(language: String, tokens: Int, baseline: Double, ablated: Double, documents: [DocumentNLL] = []) {
        self.language = language; self.tokens = tokens; self.baseline = baseline; self.ablated = ablated
        self.documents = documents
    }

    /// From its documents: the token-weighted means of their per-token NLL, i.e. Σ NLL / Σ tokens.
    public init(language: String, documents: [DocumentNLL]) {
        let tokens = documents.reduce(0) { $0 + $1.tokens }
        let mean = { (value: (DocumentNLL) -> Double) in
            documents.reduce(0.0) { $0 + Double($1.tokens) * value($1) } / Double(tokens)
        }
        self.init(language: language, tokens: tokens, baseline: mean(\.baseline), ablated: mean(\.ablated), documents: documents)
    }

    /// The ΔNLL per token with a bootstrap interval over documents: each resample of documents gives
    /// Σ tokens·ΔNLL / Σ tokens, so long documents weigh as much as they do in the estimate.
    public func changeInterval(level: Double = 0.95, resamples: Int = Bootstrap.defaultResamples) -> BootstrapInterval {
        Bootstrap.ratio(documents.map { Double($0.tokens) * $0.change }, documents.map { Double($0.tokens) },
                        level: level, resamples: resamples)
    }
}

/// One ablated set: a language's selected neurons, or a random control drawn to match it.
public struct AblationOutcome: Sendable, Equatable {
    /// The language whose set this is (for a control: the set it matches).
    public var setLanguage: String
    /// Nil for the set itself; the seed a random control was drawn with.
    public var controlSeed: UInt64?
    public var neurons: [NeuronRef]
    public var measurements: [AblationMeasurement]
    public var isRandomControl: Bool { controlSeed != nil }
}

/// A held-out document as ablation evaluates it: its row id and the token ids scored.
public struct EvaluationDocument: Sendable, Equatable {
    public var id: Int64
    public var tokens: [Int32]
    public init(id: Int64, tokens: [Int32]) { self.id = id; self.tokens = tokens }
}

/// Ablation (METHODS.md §4): zero a = SiLU(gate_proj · x) at a set's neurons in every layer (or pin it to a value,
/// `AblationPins`) and measure each language's held-out mean NLL per token, against the unablated model and
/// against a random control.
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

    /// A language's evaluation documents: its held-out documents' token ids in order, cut so that at most
    /// `cap` tokens are predicted in all (nil: every token). Documents too short to predict anything are skipped.
    public static func evaluationDocuments(_ documents: [(id: Int64, document: DocumentInfo)], cap: Int?) -> [EvaluationDocument] {
        var left = cap ?? Int.max
        var out: [EvaluationDocument] = []
        for (id, d) in documents where d.heldOut && left > 0 {
            guard let ids = d.tokenIds, ids.count >= 2 else { continue }
            let take = left < ids.count ? left + 1 : ids.count
            out.append(EvaluationDocument(id: id, tokens: Array(ids.prefix(take))))
            left -= take - 1
        }
        return out
    }

    /// Each document's mean NLL per predicted token, with `nll` giving one value per predicted token.
    public static func documentNLL(_ documents: [EvaluationDocument], nll: ([Int32]) throws -> [Double]) throws -> [(tokens: Int, mean: Double)] {
        try documents.map { d in
            let values = try nll(d.tokens)
            guard values.count == d.tokens.count - 1 else {
                throw AnalysisError("ablation: the engine gave \(values.count) NLL values for \(d.tokens.count) tokens")
            }
            return (values.count, values.reduce(0, +) / Double(values.count))
        }
    }

    /// Every language's set ablated in turn and, for each of `controlSeeds`, a random control per set (drawn in
    /// set order from one generator seeded with that seed), each measured on every language of `evaluation`.
    /// `pin(language, neurons)` gives the engine's ablation of a set or of a control matched to `language`'s set
    /// (default: zero them); `evaluate(tokens, ablation)` returns the NLL of tokens[1...] under it.
    public static func run(sets: [(language: String, neurons: [NeuronRef])],
                           evaluation: [(language: String, documents: [EvaluationDocument])],
                           width: Int, controlSeeds: [UInt64],
                           pin: (String, [NeuronRef]) throws -> NeuronAblation = { NeuronAblation(neurons: byLayer($1)) },
                           evaluate: ([Int32], NeuronAblation?) throws -> [Double]) throws -> [AblationOutcome] {
        for e in evaluation where e.documents.isEmpty {
            throw AnalysisError("ablation: language \(e.language) has no held-out tokens to evaluate")
        }
        let baseline = try evaluation.map { e in try documentNLL(e.documents) { try evaluate($0, nil) } }
        func measure(_ neurons: [NeuronRef], as language: String) throws -> [AblationMeasurement] {
            let ablation = try pin(language, neurons)
            return try evaluation.enumerated().map { i, e in
                let after = try documentNLL(e.documents) { try evaluate($0, ablation) }
                let documents = e.documents.indices.map { j in
                    DocumentNLL(document: e.documents[j].id, tokens: after[j].tokens, baseline: baseline[i][j].mean, ablated: after[j].mean)
                }
                return AblationMeasurement(language: e.language, documents: documents)
            }
        }
        var outcomes = try sets.map { s in
            AblationOutcome(setLanguage: s.language, controlSeed: nil, neurons: s.neurons, measurements: try measure(s.neurons, as: s.language))
        }
        for seed in controlSeeds {
            var rng = SplitMix64(seed: seed)
            for s in sets {
                let control = try randomControl(like: s.neurons, width: width, rng: &rng)
                outcomes.append(AblationOutcome(setLanguage: s.language, controlSeed: seed, neurons: control,
                                                measurements: try measure(control, as: s.language)))
            }
        }
        return outcomes
    }
}
