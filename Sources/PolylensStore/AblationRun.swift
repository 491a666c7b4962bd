import Foundation

/// One `polylens ablate`: which set it zeroed, exactly (name, content hash and selection parameters as they
/// were when it ran), and its own settings, so a result can never be shown under another set's description.
public struct AblationRun: Sendable, Equatable {
    /// Nil until saved; then the row id in `ablation_runs`.
    public var id: Int64?
    public var run: Int64
    public var setName: String
    /// `NeuronSetRecord.contentSHA256(of:)` of the set that was zeroed.
    public var setSHA256: String
    /// The set's `parameters_json` (how it was selected).
    public var setParametersJSON: String
    /// The ablation's own settings as JSON (evaluation budget, control seeds, model sha256, interval method).
    public var parametersJSON: String
    public var createdAt: String?

    public init(id: Int64? = nil, run: Int64, setName: String, setSHA256: String, setParametersJSON: String,
                parametersJSON: String, createdAt: String? = nil) {
        self.id = id; self.run = run; self.setName = setName; self.setSHA256 = setSHA256
        self.setParametersJSON = setParametersJSON; self.parametersJSON = parametersJSON; self.createdAt = createdAt
    }
}

/// One held-out document's mean NLL before and after zeroing one language's set or one random control.
public struct AblationDocumentResult: Sendable, Hashable {
    /// The language whose set was zeroed (for a control: the set it matches).
    public var ablatedLanguage: String
    /// Nil for the set itself; the seed of the random control otherwise.
    public var controlSeed: Int64?
    /// `documents.id`, and that document's language (the evaluated language).
    public var document: Int64
    public var evalLanguage: String
    /// Predicted tokens of the document that were evaluated.
    public var tokens: Int
    /// Nats per predicted token.
    public var nllBefore: Double
    public var nllAfter: Double

    public init(ablatedLanguage: String, controlSeed: Int64?, document: Int64, evalLanguage: String, tokens: Int,
                nllBefore: Double, nllAfter: Double) {
        self.ablatedLanguage = ablatedLanguage; self.controlSeed = controlSeed; self.document = document
        self.evalLanguage = evalLanguage
        self.tokens = tokens; self.nllBefore = nllBefore; self.nllAfter = nllAfter
    }
}
