import Foundation

/// Opens a checkpoint of any supported format, recognised from its content rather than its name:
/// a directory is Hugging Face, "GGUF" magic is GGUF, a JSON header after 8 bytes is safetensors
/// (with the config.json beside it), and anything else must carry a plausible llama2.c header.
public enum ModelLoader {
    public static func load(_ url: URL) throws -> ModelWeights {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelFileError(url, "no such file or directory")
        }
        if isDirectory.boolValue { return try HuggingFaceCheckpoint(directory: url) }
        if ["config.json", "model.safetensors.index.json"].contains(url.lastPathComponent) {
            return try HuggingFaceCheckpoint(directory: url.deletingLastPathComponent())
        }
        let file = try MappedFile(url)
        let b = file.bytes
        if b.count >= 4, b[0] == 0x47, b[1] == 0x47, b[2] == 0x55, b[3] == 0x46 { // "GGUF"
            return try GGUFCheckpoint(try GGUFFile(file))
        }
        if b.count >= 9, b[8] == UInt8(ascii: "{") {
            return try HuggingFaceCheckpoint(directory: url.deletingLastPathComponent(), weights: url)
        }
        if b.count >= 8, b.loadUnaligned(as: UInt32.self) == 0x616B_3432 { // llama2.c export.py --version 1/2
            throw ModelFileError(url, "llama2.c export version \(b.loadUnaligned(fromByteOffset: 4, as: Int32.self)) (magic ak42) is not supported; export with --version 0")
        }
        guard Llama2cCheckpoint.looksLikeCheckpoint(file) else {
            let magic = b.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
            throw ModelFileError(url, "unrecognised model file: no GGUF magic (starts \(magic)), no safetensors header, no plausible llama2.c header")
        }
        return try Llama2cCheckpoint(file)
    }
}
