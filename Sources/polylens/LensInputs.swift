import Foundation
import PolylensAnalysis
import PolylensEngine
import PolylensIngest
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// What the logit lens reads besides the file, loaded the same way for `lens` and `report`.
enum LensInputs {
    /// The run's final norm and unembedding: from the file when it holds them and no `model` is given, else from
    /// `model` or the model file the run recorded, checked by sha256. eps from the run's architecture.
    static func unembedding(_ file: PolylensFile, run: Int64, info: RunInfo, model: String?) throws -> (Unembedding, from: String) {
        struct Architecture: Decodable { var norm_eps: Double }
        guard let arch = try? JSONDecoder().decode(Architecture.self, from: Data(info.architectureJSON.utf8)) else {
            throw CLIError("\(file.url.path): run \(run) records no norm_eps in its architecture")
        }
        if model == nil, let stored = try file.unembedding(run: run) {
            return (try Unembedding(finalNorm: stored.finalNorm, matrix: stored.matrix, vocab: stored.vocab, dim: stored.dim,
                                    eps: Float(arch.norm_eps)), "the file")
        }
        let (weights, _, path) = try RunModel.load(model, run: run, info: info)
        let c = weights.config
        return (try Unembedding(finalNorm: try weights.tensor(.finalNorm).floats(), matrix: try weights.tensor(.output).floats(),
                                vocab: c.vocabSize, dim: c.dim, eps: Float(arch.norm_eps)), path)
    }

    /// `path` or the tokenizer the run recorded, checked by sha256.
    static func tokenizer(_ info: RunInfo, path: String?) throws -> Tokenizer {
        let url = URL(fileURLWithPath: path ?? info.tokenizerPath)
        let digest = try FileDigest.sha256(url)
        guard digest == info.tokenizerSHA256 else {
            throw CLIError("\(url.path): not the tokenizer the run used (sha256 \(digest), recorded \(info.tokenizerSHA256))")
        }
        return try TokenizerLoader.load(url)
    }
}

/// The lens results a command reads: those ingest stored, or the stored states decoded again (files from before
/// schema 3, or `--recompute`), with the token sets they were read against.
struct LensSource {
    var results: [LensPromptResult]
    var sets: [TokenSet]
    /// Where the numbers came from, in words.
    var from: String

    /// The prompts' languages (English aside) that have no keyword token set: a language Polylens has no keyword
    /// list for has no keyword curve, which the lens says rather than drop it silently.
    var languagesWithoutKeywords: [String] {
        TokenSet.languagesWithoutKeywords(sets, among: results.flatMap { [$0.source, $0.target] })
    }

    /// The note for `languagesWithoutKeywords`, nil when every language has its list.
    var missingKeywordsNote: String? {
        TokenSet.missingKeywordsNote(sets, among: results.flatMap { [$0.source, $0.target] })
    }

    /// `source`/`target`: only those prompts' results are read (the command still checks the choice).
    static func load(_ file: PolylensFile, run: Int64, options: AnalysisFileOptions, source: String?, target: String?,
                     recompute: Bool, top: Int?, model: String?, tokenizer: String?, words: String, keywords: String?,
                     meter: ((Int) -> ProgressMeter)? = nil) throws -> LensSource {
        if !recompute, try file.hasLensResults(run: run) {
            var results = try file.lensResults(run: run, source: source, target: target)
            // None chosen: all, so that the command's error can list the pairs the file holds.
            if results.isEmpty { results = try file.lensResults(run: run) }
            let stored = results.first?.columns.topK ?? 0
            guard (top ?? stored) <= stored else {
                throw CLIError("\(options.file): --top \(top ?? 0) is more than the \(stored) tokens ingest kept; use --recompute (needs --lens-states)")
            }
            return LensSource(results: results.map { $0.keepingTop(top ?? stored) }, sets: try file.tokenSets(run: run),
                              from: "the results stored at ingest")
        }
        guard let info = try file.runs().first(where: { $0.id == run })?.info else { throw CLIError("\(options.file): no run \(run)") }
        let prompts = try file.lensPrompts(run: run).filter { !$0.states.isEmpty }
        guard !prompts.isEmpty else {
            throw CLIError("\(options.file): run \(run) holds no lens states to decode (ingest with --prompts, and --lens-states to recompute)")
        }
        let (u, from) = try LensInputs.unembedding(file, run: run, info: info, model: model)
        let texts = TokenSet.texts(of: try LensInputs.tokenizer(info, path: tokenizer), vocab: u.vocab)
        let languages = Set(prompts.flatMap { [$0.source, $0.target] }).sorted()
        let sets = try TokenSet.lensSets(texts: texts, languages: languages, words: URL(fileURLWithPath: words),
                                         keywordsDirectory: keywords.map { URL(fileURLWithPath: $0) } ?? SharedFiles.url("data/paper/keywords"))
        // Decoding states takes minutes with a large vocabulary: progress per prompt (stored results take milliseconds).
        let progress = meter?(prompts.count)
        return LensSource(results: try LogitLens.run(prompts, unembedding: u, sets: sets, topK: top ?? 10) { progress?.advance(by: 1) },
                          sets: sets, from: "the stored states, decoded with the unembedding from \(from)")
    }
}
