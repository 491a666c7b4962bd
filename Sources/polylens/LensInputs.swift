import Foundation
import PolylensAnalysis
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
        let path = model ?? info.modelPath
        let weights = try ModelLoader.load(URL(fileURLWithPath: path))
        let digest = try FileDigest.sha256(of: weights.files)
        guard digest == info.modelSHA256 else {
            throw CLIError("\(path): not the model run \(run) used (sha256 \(digest), recorded \(info.modelSHA256))")
        }
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
