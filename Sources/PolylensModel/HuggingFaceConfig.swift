import Foundation

/// Reading and writing a Hugging Face `config.json` for Llama. transformers 4 puts `rope_theta` and
/// `rope_scaling` at the top level; transformers 5 nests them in `rope_parameters`. Both are read.
extension LlamaConfig {
    /// Parses `config.json`. Hugging Face checkpoints permute q/k rows for rotate-half RoPE, hence `.halves`.
    /// `tiedEmbeddings` here is the file's `tie_word_embeddings`; the checkpoint also ties when `lm_head` is absent.
    public init(huggingFaceConfig url: URL) throws {
        let data = try MappedFile.contents(url)
        let json: [String: JSONValue]
        do {
            guard let o = try JSONValue.read(data).object else { throw JSONSyntaxError(description: "the top level is not an object") }
            json = o
        } catch {
            throw ModelFileError(url, "not a JSON object (\(error))")
        }
        let c = ConfigReader(url: url, json: json)

        let architectures = json["architectures"]?.array?.compactMap(\.string)
        let modelType = json["model_type"]?.string
        if architectures == nil && modelType == nil {
            throw ModelFileError(url, "names no architecture (neither architectures nor model_type)")
        }
        if let a = architectures, !a.contains("LlamaForCausalLM") {
            throw ModelFileError(url, "unsupported architecture \(a.joined(separator: ", ")) (LlamaForCausalLM is read)")
        }
        if let m = modelType, m != "llama" {
            throw ModelFileError(url, "unsupported model_type \(m) (llama is read)")
        }

        let dim = try c.positive("hidden_size")
        let heads = try c.positive("num_attention_heads")
        let kvHeads = try c.positive("num_key_value_heads", default: heads)
        guard heads % kvHeads == 0 else {
            throw ModelFileError(url, "num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kvHeads)")
        }
        if json["head_dim"]?.isNull ?? true, dim % heads != 0 {
            throw ModelFileError(url, "hidden_size \(dim) is not a multiple of num_attention_heads \(heads) and head_dim is absent")
        }
        let headDim = try c.positive("head_dim", default: dim / heads)

        // transformers 5: everything in rope_parameters; transformers 4: rope_theta on top, rope_scaling beside it.
        let rope = try c.object("rope_parameters") ?? c.object("rope_scaling")
        let ropeReader = rope.map { ConfigReader(url: url, json: $0, prefix: json["rope_parameters"]?.object != nil ? "rope_parameters." : "rope_scaling.") }
        let theta = try ropeReader?.optionalDouble("rope_theta") ?? c.optionalDouble("rope_theta") ?? 10000
        guard theta > 0 else { throw ModelFileError(url, "rope_theta must be positive, is \(theta)") }
        var scaling: Llama3RopeScaling?
        if let r = ropeReader {
            let type = r.json["rope_type"]?.string ?? r.json["type"]?.string ?? "default"
            switch type {
            case "default": break
            case "llama3":
                scaling = Llama3RopeScaling(factor: try r.requiredDouble("factor"),
                                            lowFreqFactor: try r.requiredDouble("low_freq_factor"),
                                            highFreqFactor: try r.requiredDouble("high_freq_factor"),
                                            originalMaxPositions: try r.positive("original_max_position_embeddings"))
                guard let s = scaling, s.factor > 0, s.lowFreqFactor > 0, s.highFreqFactor > s.lowFreqFactor else {
                    throw ModelFileError(url, "llama3 rope scaling needs factor > 0 and high_freq_factor > low_freq_factor > 0")
                }
            default:
                throw ModelFileError(url, "unsupported rope_type \(type) (default and llama3 are read)")
            }
        }

        self.init(dim: dim,
                  hiddenDim: try c.positive("intermediate_size"),
                  nLayers: try c.positive("num_hidden_layers"),
                  nHeads: heads, nKVHeads: kvHeads, headDim: headDim,
                  vocabSize: try c.positive("vocab_size"),
                  maxPositions: try c.positive("max_position_embeddings", default: 2048),
                  normEps: Float(try c.optionalDouble("rms_norm_eps") ?? 1e-6),
                  ropeTheta: theta, ropeScaling: scaling, ropeStyle: .halves,
                  tiedEmbeddings: try c.optionalBool("tie_word_embeddings") ?? false,
                  bosId: try c.tokenId("bos_token_id", default: 1),
                  eosId: try c.tokenId("eos_token_id", default: 2))
        try checkLimits(url)
    }

    /// The `config.json` of these numbers as transformers 4 writes it (read by transformers 4 and 5 alike).
    public func huggingFaceConfigJSON(dtype: DType) -> Data {
        let torchDType: String
        switch dtype {
        case .f32, .q8_0: torchDType = "float32"
        case .f16: torchDType = "float16"
        case .bf16: torchDType = "bfloat16"
        }
        var json: [String: Any] = [
            "architectures": ["LlamaForCausalLM"], "model_type": "llama",
            "hidden_size": dim, "intermediate_size": hiddenDim, "num_hidden_layers": nLayers,
            "num_attention_heads": nHeads, "num_key_value_heads": nKVHeads, "head_dim": headDim,
            "vocab_size": vocabSize, "max_position_embeddings": maxPositions,
            // Through the shortest decimal so that 1e-5 is written as 1e-05, not 9.99999974737875e-06.
            "rms_norm_eps": Double("\(normEps)") ?? Double(normEps),
            "rope_theta": ropeTheta,
            "tie_word_embeddings": tiedEmbeddings,
            "hidden_act": "silu", "attention_bias": false, "mlp_bias": false,
            "torch_dtype": torchDType,
            "bos_token_id": bosId.map { $0 as Any } ?? NSNull(),
            "eos_token_id": eosId.map { $0 as Any } ?? NSNull(),
        ]
        if let s = ropeScaling {
            json["rope_scaling"] = ["rope_type": "llama3", "factor": s.factor, "low_freq_factor": s.lowFreqFactor,
                                    "high_freq_factor": s.highFreqFactor,
                                    "original_max_position_embeddings": s.originalMaxPositions] as [String: Any]
        } else {
            json["rope_scaling"] = NSNull()
        }
        // The dictionary holds only JSON types, so serialisation cannot fail.
        return (try? JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}

/// Typed access to config.json keys with one-line errors naming the file and the key.
private struct ConfigReader {
    let url: URL
    let json: [String: JSONValue]
    var prefix = ""

    private func present(_ key: String) -> JSONValue? {
        guard let v = json[key], !v.isNull else { return nil }
        return v
    }

    private func number(_ key: String) throws -> Double? {
        guard let v = present(key) else { return nil }
        guard let d = v.double, d.isFinite else { throw ModelFileError(url, "\(prefix)\(key) is not a number") }
        return d
    }

    func positive(_ key: String, default d: Int? = nil) throws -> Int {
        guard let n = try number(key) else {
            if let d { return d }
            throw ModelFileError(url, "\(prefix)\(key) is missing")
        }
        guard let i = Int(exactly: n), i > 0, i <= 1 << 30 else {
            throw ModelFileError(url, "\(prefix)\(key) must be a positive integer, is \(n)")
        }
        return i
    }

    func optionalDouble(_ key: String) throws -> Double? { try number(key) }

    func requiredDouble(_ key: String) throws -> Double {
        guard let d = try number(key) else { throw ModelFileError(url, "\(prefix)\(key) is missing") }
        return d
    }

    func optionalBool(_ key: String) throws -> Bool? {
        guard let v = present(key) else { return nil }
        guard let b = v.bool else { throw ModelFileError(url, "\(prefix)\(key) is not true or false") }
        return b
    }

    func object(_ key: String) throws -> [String: JSONValue]? {
        guard let v = present(key) else { return nil }
        guard let o = v.object else { throw ModelFileError(url, "\(prefix)\(key) is not an object") }
        return o
    }

    /// A token id given as an integer or a list (the first one is the one prepended); null means none.
    func tokenId(_ key: String, default d: Int) throws -> Int? {
        guard let v = json[key] else { return d }
        if v.isNull { return nil }
        let first = v.array?.first ?? v
        guard let i = first.int, i >= 0 else { throw ModelFileError(url, "\(prefix)\(key) is not a token id") }
        return i
    }
}
