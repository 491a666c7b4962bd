import Foundation
import PolylensStore

/// One ablation run as it is shown: for each (ablated set, evaluated language) the NLL before and after, the
/// ΔNLL with its bootstrap interval over documents, and the random control's mean and spread across seeds.
/// Built the same way from a fresh run (`Ablation.run`) and from the file (`ablation_documents`), so the
/// command and the report print the same numbers.
public struct AblationSummary: Sendable {
    public struct Cell: Sendable {
        public var ablated: String
        public var evaluated: String
        public var documents: Int
        public var tokens: Int
        public var nllBefore: Double
        public var nllAfter: Double
        /// ΔNLL per token, 95% percentile-bootstrap interval over the evaluated documents.
        public var change: BootstrapInterval
        /// The random controls matched to `ablated`, one ΔNLL per seed (none when no control was run).
        public var control: ControlSpread
    }

    /// Nil only for an ablation not saved in a file.
    public var id: Int64?
    public var ablation: AblationRun
    public var setLanguages: [String]
    public var evalLanguages: [String]
    public var cells: [Cell]
    public var controlSeeds: [UInt64]
    /// How the intervals were made, e.g. "percentile bootstrap, 2000 resamples, 95% interval".
    public var intervalMethod: String

    public init(id: Int64?, ablation: AblationRun, outcomes: [AblationOutcome], resamples: Int = Bootstrap.defaultResamples,
                evalLanguages: [String]? = nil) {
        self.id = id; self.ablation = ablation
        let sets = outcomes.filter { !$0.isRandomControl }
        setLanguages = sets.map(\.setLanguage)
        self.evalLanguages = evalLanguages ?? sets.first.map { $0.measurements.map(\.language) } ?? []
        controlSeeds = Array(Set(outcomes.compactMap(\.controlSeed))).sorted()
        let spreads = ControlSpread.of(outcomes)
        cells = sets.flatMap { o in
            o.measurements.map { m in
                Cell(ablated: o.setLanguage, evaluated: m.language, documents: m.documents.count, tokens: m.tokens,
                     nllBefore: m.baseline, nllAfter: m.ablated, change: m.changeInterval(resamples: resamples),
                     control: spreads[o.setLanguage]?[m.language] ?? ControlSpread(changes: []))
            }
        }
        intervalMethod = BootstrapInterval(estimate: 0, low: 0, high: 0, level: 0.95, resamples: resamples).method
    }

    /// From the per-document rows a file stores for one ablation run.
    public init(stored ablation: AblationRun, documents: [AblationDocumentResult], resamples: Int = Bootstrap.defaultResamples) {
        self.init(id: ablation.id, ablation: ablation, outcomes: Self.outcomes(documents), resamples: resamples)
    }

    /// Rebuilds the outcomes (without their neuron lists) from stored per-document rows: the set itself first,
    /// then each seed's controls, languages and documents in stored order.
    static func outcomes(_ rows: [AblationDocumentResult]) -> [AblationOutcome] {
        var order: [String] = [], byKey: [String: AblationOutcome] = [:]
        for r in rows.sorted(by: { ($0.controlSeed == nil ? 0 : 1, $0.controlSeed ?? 0) < ($1.controlSeed == nil ? 0 : 1, $1.controlSeed ?? 0) }) {
            let key = "\(r.ablatedLanguage)\u{0}\(r.controlSeed.map(String.init) ?? "")"
            if byKey[key] == nil {
                order.append(key)
                byKey[key] = AblationOutcome(setLanguage: r.ablatedLanguage, controlSeed: r.controlSeed.map { UInt64(bitPattern: $0) },
                                             neurons: [], measurements: [])
            }
            var o = byKey[key]!
            if let i = o.measurements.firstIndex(where: { $0.language == r.evalLanguage }) {
                o.measurements[i].documents.append(DocumentNLL(document: r.document, tokens: r.tokens, baseline: r.nllBefore, ablated: r.nllAfter))
            } else {
                o.measurements.append(AblationMeasurement(language: r.evalLanguage, tokens: 0, baseline: .nan, ablated: .nan,
                                                          documents: [DocumentNLL(document: r.document, tokens: r.tokens, baseline: r.nllBefore, ablated: r.nllAfter)]))
            }
            byKey[key] = o
        }
        return order.map { key in
            var o = byKey[key]!
            // The order Ablation.run measures in: languages sorted, documents by id.
            o.measurements = o.measurements.map { AblationMeasurement(language: $0.language, documents: $0.documents) }
                .sorted { $0.language < $1.language }
            return o
        }
    }
}
