import Foundation
import PolylensModel
import PolylensStore

/// Where an ingest's numbers come from, as recorded in the file.
public enum RunProvenance {
    public static func runInfo(weights: ModelWeights, modelPath: String, tokenizerURL: URL,
                               options: IngestOptions) throws -> RunInfo {
        RunInfo(modelPath: modelPath, modelFormat: weights.format, modelSHA256: try FileDigest.sha256(of: weights.files),
                tokenizerPath: tokenizerURL.path, tokenizerSHA256: try FileDigest.sha256(tokenizerURL),
                architectureJSON: architectureJSON(weights.config), parametersJSON: options.parametersJSON,
                polylensVersion: PolylensVersion.string)
    }

    /// The architecture numbers, with Hugging Face-like names, sorted keys.
    public static func architectureJSON(_ c: LlamaConfig) -> String {
        var a: [String: Any] = [
            "dim": c.dim, "hidden_dim": c.hiddenDim, "n_layers": c.nLayers, "n_heads": c.nHeads,
            "n_kv_heads": c.nKVHeads, "head_dim": c.headDim, "vocab_size": c.vocabSize,
            "max_positions": c.maxPositions, "norm_eps": Double("\(c.normEps)") ?? Double(c.normEps), "rope_theta": c.ropeTheta,
            "rope_style": c.ropeStyle.rawValue, "tied_embeddings": c.tiedEmbeddings,
        ]
        if let bos = c.bosId { a["bos_id"] = bos }
        if let eos = c.eosId { a["eos_id"] = eos }
        if let s = c.ropeScaling {
            a["rope_scaling"] = ["rope_type": "llama3", "factor": s.factor, "low_freq_factor": s.lowFreqFactor,
                                 "high_freq_factor": s.highFreqFactor,
                                 "original_max_position_embeddings": s.originalMaxPositions]
        }
        let data = (try? JSONSerialization.data(withJSONObject: a, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
