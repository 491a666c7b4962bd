/// What a file keeps of the hidden states and held-out text (issue 9): sized so that the paper's whole
/// CodeLlama-7B study fits in 2 GiB (README, "Paper-scale files"). Ingest writes by it; `polylens estimate`
/// projects from it.
public struct StorageOptions: Sendable, Equatable {
    /// Poolings stored per summarized document. Each costs ≈ 1.26 GB in f16 (0.67 GB in q8_0) for the paper's
    /// 581 items × 8 languages × 33 layers × 4096; MEXA's default (weighted) alone fits the budget.
    public var poolings: [Pooling] = [.weightedMean]
    /// Summaries for corpus documents too (no analysis reads them; ≈ 0.8 MB per document for a 7B model).
    /// Parallel items always get theirs (MEXA).
    public var corpusSummaries = false
    /// How summaries are stored: f16 (2 bytes a value), or q8_0 (blocks of 32, 1.06 bytes a value). f16 by
    /// default: MEXA on polycode's 100 items moves by up to 0.02 with q8_0 (two near-tied items of 100 flip),
    /// by 0 with f16 (README, "Paper-scale files").
    public var summaryCodec: BlobDType = .f16
    /// Held-out tokens per language for ablation's evaluation, taken from the held-out fraction's documents
    /// in content-hash order; nil keeps every document of the fraction.
    public var heldOutTokens: Int? = 50_000

    public init() {}

    /// The options of files written before issue 9: three f16 poolings for every document, the whole fraction held out.
    public static var version1: StorageOptions {
        var o = StorageOptions()
        o.poolings = Pooling.allCases; o.corpusSummaries = true; o.summaryCodec = .f16; o.heldOutTokens = nil
        return o
    }

    public static let summaryCodecs: [BlobDType] = [.f16, .q8_0]

    public func validate() throws {
        if poolings.isEmpty { throw StorageOptionsError("--poolings needs at least one of weighted, mean, last") }
        if Set(poolings).count != poolings.count { throw StorageOptionsError("--poolings names a pooling twice") }
        if !Self.summaryCodecs.contains(summaryCodec) {
            throw StorageOptionsError("--summary-codec must be f16 or q8_0, got \(summaryCodec.name)")
        }
        if let n = heldOutTokens, n < 0 { throw StorageOptionsError("--held-out-tokens must not be negative, got \(n)") }
    }

    /// The options that change what is stored, for a run's parameters_json.
    public var parameters: [String: Any] {
        var p: [String: Any] = ["summaries": poolings.map(\.rawValue), "corpus_summaries": corpusSummaries,
                                "summary_codec": summaryCodec.name]
        p["held_out_tokens"] = heldOutTokens.map { $0 as Any } ?? "all"
        return p
    }
}

public struct StorageOptionsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
