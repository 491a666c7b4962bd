import PolylensModel
import PolylensStore

/// The size of a study as ingest will see it: the model's numbers, the corpus and prompt counts and the
/// storage options. `polylens estimate` fills it from explicit counts or from ingest's own corpus walk
/// (`Ingestor.studyShape()`); `StorageEstimate` turns it into bytes per table.
public struct StudyShape: Sendable {
    public var model: LlamaConfig
    /// Corpus languages.
    public var languages = 0
    /// Languages with neuron statistics and language states: the corpus's and the parallel items' together
    /// (nil: the larger of the two counts, as when one set contains the other).
    public var statisticsLanguages: Int? = nil
    /// Corpus documents and tokens (BOS included, after truncation) per language, counted and held out.
    public var documentsPerLanguage = 0
    public var tokensPerLanguage = 0
    public var parallelItems = 0
    /// Languages of the parallel items, English (the C files' comments) included: the paper's 7 + 1.
    public var parallelLanguages = 0
    /// Mean tokens of one parallel snippet (FLOPs only; summaries do not depend on it).
    public var parallelTokensPerItem = 120.0
    /// Ordered language pairs and items per pair of the lens prompts.
    public var lensPairs = 0
    public var lensItems = 0
    /// Top tokens the lens keeps per (layer, position) (`--lens-top`), and the token sets it follows (nil: English
    /// and one keyword set per language of the parallel items but English).
    public var lensTop = 10
    public var lensSets: Int? = nil
    /// Activation histograms and top contexts per neuron (issue 12; `--no-activation-histograms`, `--top-contexts`).
    public var activationHistograms = true
    public var contexts: ContextShape? = ContextShape()
    /// Mean tokens of a lens prompt and mean positions that predict its target snippet (the paper: ≈ 40).
    public var lensTokensPerPrompt = 400.0
    public var lensPositionsPerPrompt = 40.0
    /// Mean characters of a document's `source` (a path) and of a language name.
    public var sourceCharacters = 60.0
    public var languageCharacters = 6.0
    /// Fraction of corpus documents that may be held out (`--held-out`).
    public var heldOutFraction = 0.1
    public var storage = StorageOptions()
    /// How lens states are stored: f16 as ingest writes them now, q8_0, or nil when not stored.
    public var lensStateCodec: BlobDType? = .f16
    public var embedUnembedding = false

    /// Held-out documents and tokens over all languages when known from a corpus walk (else projected).
    public var heldOut: (documents: Double, tokens: Double)? = nil

    public init(model: LlamaConfig) { self.model = model }

    /// Hidden-state rows: embeddings, after each block but the last, after the final norm.
    public var hiddenLayers: Int { model.nLayers + 1 }
    public var statsLanguages: Int { statisticsLanguages ?? max(languages, parallelLanguages) }
    public var corpusDocuments: Int { languages * documentsPerLanguage }
    /// Tokens counted per language (corpus not held out; parallel items add little).
    public var countedTokensPerLanguage: Double { Double(tokensPerLanguage) - heldOutTokensPerLanguage }
    public var parallelDocuments: Int { parallelItems * parallelLanguages }
    public var lensPrompts: Int { lensPairs * lensItems }
    public var lensSetCount: Int { lensSets ?? max(1, parallelLanguages) }
    public var tokensPerDocument: Double { documentsPerLanguage > 0 ? Double(tokensPerLanguage) / Double(documentsPerLanguage) : 0 }

    /// Held-out tokens per language: the budget, within the fraction of the corpus.
    public var heldOutTokensPerLanguage: Double {
        if let heldOut { return languages > 0 ? heldOut.tokens / Double(languages) : 0 }
        let fraction = heldOutFraction * Double(tokensPerLanguage)
        return storage.heldOutTokens.map { min(Double($0), fraction) } ?? fraction
    }

    public var heldOutDocumentsPerLanguage: Double {
        if let heldOut { return languages > 0 ? heldOut.documents / Double(languages) : 0 }
        return tokensPerDocument > 0 ? min(Double(documentsPerLanguage), (heldOutTokensPerLanguage / tokensPerDocument).rounded(.up)) : 0
    }

    /// Documents that get summaries: parallel items, and corpus documents not held out when asked.
    public var summarizedDocuments: Double {
        Double(parallelDocuments)
            + (storage.corpusSummaries ? Double(languages) * (Double(documentsPerLanguage) - heldOutDocumentsPerLanguage) : 0)
    }

    /// Tokens through the model: corpus documents not held out, parallel items, lens prompts.
    public var forwardTokens: Double {
        Double(languages) * (Double(tokensPerLanguage) - heldOutTokensPerLanguage)
            + Double(parallelDocuments) * parallelTokensPerItem + Double(lensPrompts) * lensTokensPerPrompt
    }
}
