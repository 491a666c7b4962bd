import Foundation

/// A Hugging Face Llama directory: `config.json` plus `model.safetensors`, or shards listed in
/// `model.safetensors.index.json`. Every tensor is checked against the config at load, so a bad
/// directory fails here, naming the file, not later inside the engine.
public final class HuggingFaceCheckpoint: ModelWeights, @unchecked Sendable {
    public let config: LlamaConfig
    public let format = "huggingface"
    public let directory: URL
    public let shards: [SafetensorsFile]
    /// config.json, then the safetensors files.
    public let files: [URL]
    private let location: [LlamaTensor: (shard: Int, name: String)]

    /// `weights`: one `.safetensors` file named by the user, loaded instead of whatever the directory holds
    /// (`model-info DIR/other.safetensors` must not silently read `DIR/model.safetensors`).
    public init(directory: URL, weights: URL? = nil) throws {
        self.directory = directory
        let configURL = directory.appendingPathComponent("config.json")
        var config = try LlamaConfig(huggingFaceConfig: configURL)

        let single = directory.appendingPathComponent("model.safetensors")
        let indexURL = directory.appendingPathComponent("model.safetensors.index.json")
        let fm = FileManager.default
        var shards: [SafetensorsFile] = []
        var shardOf: [String: Int] = [:]
        let listing: URL
        if let weights {
            shards = [try SafetensorsFile(weights)]
            for name in shards[0].tensors.keys { shardOf[name] = 0 }
            listing = weights
        } else if fm.fileExists(atPath: single.path) {
            shards = [try SafetensorsFile(single)]
            for name in shards[0].tensors.keys { shardOf[name] = 0 }
            listing = single
        } else if fm.fileExists(atPath: indexURL.path) {
            let map = try Self.weightMap(indexURL)
            var shardIndex: [String: Int] = [:]
            for file in Set(map.values).sorted() {
                shardIndex[file] = shards.count
                shards.append(try SafetensorsFile(directory.appendingPathComponent(file)))
            }
            for (name, file) in map {
                let i = shardIndex[file]!
                guard shards[i].tensors[name] != nil else {
                    throw ModelFileError(indexURL, "lists \(name) in \(file), which does not hold it")
                }
                shardOf[name] = i
            }
            listing = indexURL
        } else {
            throw ModelFileError(directory, "no model.safetensors or model.safetensors.index.json")
        }

        // HF ties when the config says so; a missing lm_head can only mean tied too.
        if shardOf[LlamaTensor.output.description] == nil { config.tiedEmbeddings = true }
        var location: [LlamaTensor: (shard: Int, name: String)] = [:]
        for t in config.tensors {
            let name = t.description
            guard let i = shardOf[name] else { throw ModelFileError(listing, "missing tensor \(name)") }
            let shape = shards[i].tensors[name]!.shape
            guard shape == config.shape(of: t) else {
                throw ModelFileError(shards[i].url, "tensor \(name) has shape \(shape) but config.json implies \(config.shape(of: t))")
            }
            location[t] = (i, name)
        }
        self.config = config
        self.shards = shards
        self.location = location
        self.files = [configURL] + shards.map(\.url)
    }

    public func tensor(_ t: LlamaTensor) throws -> TensorView {
        let key = (t == .output && config.tiedEmbeddings) ? .tokenEmbedding : t
        guard let (shard, name) = location[key] else { throw ModelFileError(directory, "missing tensor \(t)") }
        return try shards[shard].tensor(name)
    }

    /// `weight_map` of a shard index: tensor name → shard file in the same directory.
    static func weightMap(_ url: URL) throws -> [String: String] {
        try weightMap(MappedFile.contents(url), url: url)
    }

    static func weightMap(_ data: Data, url: URL) throws -> [String: String] {
        let root: JSONValue
        do { root = try JSONValue.read(data) } catch { throw ModelFileError(url, "is not JSON (\(error))") }
        guard let map = root.object?["weight_map"]?.object else {
            throw ModelFileError(url, "has no weight_map object")
        }
        var out: [String: String] = [:]
        for (name, v) in map {
            guard let file = v.string, !file.isEmpty, !file.contains("/"), file != ".", file != ".." else {
                throw ModelFileError(url, "weight_map entry for \(name) is not a file name in this directory")
            }
            out[name] = file
        }
        return out
    }
}
