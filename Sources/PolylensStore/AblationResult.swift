import Foundation

/// Mean negative log-likelihood of one language's held-out tokens before and after zeroing a neuron set.
public struct AblationResult: Sendable, Equatable {
    public var run: Int64
    /// The `AblationRun` this row belongs to; nil for rows written before schema version 5 (no recorded provenance).
    public var ablationID: Int64?
    /// The neuron set's name (`saveNeuronSet`).
    public var setName: String
    /// A control ablation: as many random neurons per layer as the set, drawn with `controlSeed`.
    public var control: Bool
    public var controlSeed: Int64?
    /// The language whose neurons were ablated.
    public var ablatedLanguage: String
    /// The language whose held-out documents were evaluated.
    public var evalLanguage: String
    /// Predicted tokens evaluated.
    public var tokens: Int
    /// Nats per predicted token.
    public var nllBefore: Double
    public var nllAfter: Double

    public init(run: Int64, setName: String, control: Bool, controlSeed: Int64?, ablatedLanguage: String,
                evalLanguage: String, tokens: Int, nllBefore: Double, nllAfter: Double, ablationID: Int64? = nil) {
        self.run = run; self.ablationID = ablationID; self.setName = setName; self.control = control; self.controlSeed = controlSeed
        self.ablatedLanguage = ablatedLanguage; self.evalLanguage = evalLanguage; self.tokens = tokens
        self.nllBefore = nllBefore; self.nllAfter = nllAfter
    }

    public var perplexityBefore: Double { nllBefore.isFinite ? exp(nllBefore) : .infinity }
    public var perplexityAfter: Double { nllAfter.isFinite ? exp(nllAfter) : .infinity }
}
