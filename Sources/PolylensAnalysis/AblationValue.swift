import Foundation
import PolylensEngine
import PolylensStore

/// What `ablate` sets a neuron's activation a = SiLU(gate_proj · x) to: zero (the original LAPE ablation), a fixed
/// number, or a quantile of the neuron's own activation distribution in the ablated language, read from the stored
/// histograms: the "activation" half of steering, which pins a language's neurons at a typical firing strength.
public enum AblationValue: Sendable, Equatable, CustomStringConvertible {
    case zero
    case constant(Float)
    /// q in (0, 1]: `p99` is 0.99.
    case quantile(Double)

    /// `zero`, `pQ` with 0 < Q ≤ 100 (`p50`, `p90`, `p99`, `p99.9`) or a finite number.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t == "zero" { self = .zero; return }
        if t.hasPrefix("p"), let percent = Double(t.dropFirst()), percent.isFinite {
            guard percent > 0, percent <= 100 else {
                throw AnalysisError("--set-to \(text): a percentile must lie in (0, 100], e.g. p50, p90, p99 or p99.9")
            }
            // In decimal, so that p99.9 is the Double nearest 0.999 (99.9 / 100 is not).
            self = .quantile(NSDecimalNumber(string: String(t.dropFirst())).dividing(by: 100).doubleValue); return
        }
        guard let value = Float(t), value.isFinite else {
            throw AnalysisError("--set-to must be zero, a percentile (p50, p90, p99, p99.9) or a finite number, got '\(text)'")
        }
        self = .constant(value)
    }

    public var description: String {
        switch self {
        case .zero: "zero"
        case .constant(let v): "\(v)"
        case .quantile(let q): "p" + String(format: "%g", q * 100)
        }
    }

    /// Whether the value is read from the activation histograms.
    public var needsHistograms: Bool { if case .quantile = self { true } else { false } }

    /// How each neuron's value was found, as recorded with the ablation run.
    public var source: String {
        switch self {
        case .zero: "a is set to 0"
        case .constant(let v): "a is set to \(v) for every ablated neuron"
        case .quantile(let q): "a is set to each neuron's own \(String(format: "%g", q))-quantile in the ablated set's language "
            + "(for a random control: in the language of the set it matches), read from activation_histograms: the bin "
            + "holding the element of rank ⌊(n − 1)q⌋, interpolated inside it, as `polylens neuron` shows it"
        }
    }
}

/// The values an ablation pins neurons to, per language, read once from a run's histograms and statistics.
public struct AblationPins: Sendable {
    public let value: AblationValue
    /// language → layer → histogram, and the neuron maxima that close the top bin; empty unless `value` needs them.
    private var histograms: [String: [Int: ActivationHistogram]] = [:]
    private var maxima: [String: [Int: [Float]]] = [:]

    /// Reads what `value` needs for `languages` from run `run`; throws when a quantile is asked of a file or
    /// language without histograms.
    public init(_ value: AblationValue, file: PolylensFile, run: Int64, languages: [String]) throws {
        self.value = value
        guard value.needsHistograms else { return }
        let stored = try file.activationHistograms(run: run)
        guard !stored.isEmpty else {
            throw AnalysisError("\(file.url.path): run \(run) has no activation histograms (ingested with --no-activation-histograms, "
                                + "--no-neuron-activity or by a Polylens without them), so --set-to \(value) has no distribution to read; "
                                + "re-ingest with histograms, or use --set-to zero or a number")
        }
        for h in stored where languages.contains(h.language) { histograms[h.language, default: [:]][h.layer] = h }
        for s in try file.neuronStats(run: run) where languages.contains(s.language) { maxima[s.language, default: [:]][s.layer] = s.max }
        if let missing = languages.first(where: { histograms[$0] == nil }) {
            throw AnalysisError("\(file.url.path): run \(run) has no activation histograms for \(missing), so --set-to \(value) has no distribution to read")
        }
    }

    /// The value `neuron` is set to when `language`'s set (or a control matched to it) is ablated.
    public func value(of neuron: NeuronRef, language: String) throws -> Float {
        guard case .quantile(let q) = value else {
            if case .constant(let v) = value { return v }
            return 0
        }
        guard let h = histograms[language]?[neuron.layer], neuron.neuron >= 0, neuron.neuron < h.neurons else {
            throw AnalysisError("ablation: no activation histogram of \(language) for neuron \(neuron.layer):\(neuron.neuron)")
        }
        let high = maxima[language]?[neuron.layer].flatMap { $0.indices.contains(neuron.neuron) ? $0[neuron.neuron] : nil }
        guard let v = HistogramQuantile.value(q, counts: h.counts(neuron: neuron.neuron), high: high) else {
            throw AnalysisError("ablation: the histogram of \(language) for neuron \(neuron.layer):\(neuron.neuron) is empty")
        }
        return v
    }

    /// The engine's form of ablating `neurons` as `language`'s set: layer → sorted neurons and their values.
    public func ablation(language: String, neurons: [NeuronRef]) throws -> NeuronAblation {
        let byLayer = Ablation.byLayer(neurons)
        guard value != .zero else { return NeuronAblation(neurons: byLayer) }
        var values: [Int: [Float]] = [:]
        for (layer, ns) in byLayer {
            values[layer] = try ns.map { try value(of: NeuronRef(layer: layer, neuron: $0), language: language) }
        }
        return NeuronAblation(neurons: byLayer, values: values)
    }
}
