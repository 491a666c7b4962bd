import ArgumentParser
import PolylensStore

/// What a file keeps of hidden states and held-out text: shared by `ingest`, `bench ingest` and `estimate`.
struct StorageArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Comma-separated poolings stored per summarized document: weighted, mean, last (default: weighted, what the 2-GiB budget of a 7B study allows).", valueName: "LIST"))
    var poolings = "weighted"

    @Flag(help: "Also store summaries of corpus documents (parallel items always get theirs; no analysis reads corpus summaries).")
    var corpusSummaries = false

    @Option(help: "Codec of stored summaries: f16, or q8_0 (GGUF blocks of 32, ≈ 1.06 bytes a value; MEXA moves by up to 0.02).")
    var summaryCodec = "f16"

    @Option(help: ArgumentHelp("Held-out tokens per language for ablation, from the --held-out fraction's documents in content-hash order; `all` keeps the whole fraction.", valueName: "N|all"))
    var heldOutTokens = "50000"

    func validate() throws { _ = try options() }

    func options() throws -> StorageOptions {
        var o = StorageOptions()
        o.poolings = try poolings.split(separator: ",").map { name in
            guard let p = Pooling(rawValue: String(name)) else {
                throw ValidationError("--poolings: unknown pooling \(name) (weighted, mean, last)")
            }
            return p
        }
        guard let codec = StorageOptions.summaryCodecs.first(where: { $0.name == summaryCodec }) else {
            throw ValidationError("--summary-codec must be f16 or q8_0, got \(summaryCodec)")
        }
        o.summaryCodec = codec
        o.corpusSummaries = corpusSummaries
        if heldOutTokens == "all" {
            o.heldOutTokens = nil
        } else if let n = Int(heldOutTokens), n >= 0 {
            o.heldOutTokens = n
        } else {
            throw ValidationError("--held-out-tokens must be a count or `all`, got \(heldOutTokens)")
        }
        do { try o.validate() } catch let e as StorageOptionsError { throw ValidationError(e.description) }
        return o
    }
}
