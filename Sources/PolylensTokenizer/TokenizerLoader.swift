import Foundation
import PolylensModel

/// Opens any tokenizer file Polylens reads, recognising the format from the content, not the file name.
public enum TokenizerLoader {
    /// The formats, as recognised by `detect`.
    public enum Format: String, Sendable {
        case sentencePieceModel = "SentencePiece model"
        case tiktokenRanks = "tiktoken ranks"
        case tokenizerJSON = "tokenizer.json"
        case gguf = "GGUF"
        case llama2c = "llama2.c tokenizer.bin"
    }

    /// A tokenizer file, or a model directory / GGUF model (see `forModel`).
    public static func load(_ url: URL) throws -> Tokenizer {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
            guard let t = try forModel(url) else {
                throw ModelFileError(url, "no tokenizer.model, tokenizer.json or tokenizer.bin in this directory")
            }
            return t
        }
        let file = try MappedFile(url)
        switch try detect(file) {
        case .sentencePieceModel: return try SentencePieceModelFile.load(file)
        case .llama2c: return try LlamaTwoCTokenizerFile.load(file)
        case .gguf: return try fromGGUF(try GGUFFile(file))
        case .tiktokenRanks: return try ByteLevelBPE(tiktokenRanks: url)
        case .tokenizerJSON: return try HFTokenizerJSON.load(url)
        }
    }

    /// Where a model's tokenizer is and why that one: a directory's `tokenizer.model` (authoritative: it is what
    /// SentencePiece models were trained with) before `tokenizer.json`, then `tokenizer.bin`; a GGUF model's own
    /// vocabulary. nil for anything else (e.g. a llama2.c checkpoint, which carries no vocabulary).
    public static func tokenizerFile(forModel modelURL: URL) -> (url: URL, note: String?)? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelURL.path, isDirectory: &isDir) else { return nil }
        if isDir.boolValue {
            let fm = FileManager.default
            let names = ["tokenizer.model", "tokenizer.json", "tokenizer.bin"]
            let present = names.filter { fm.fileExists(atPath: modelURL.appendingPathComponent($0).path) }
            guard let first = present.first else { return nil }
            let note = present.contains("tokenizer.model") && present.contains("tokenizer.json")
                ? "using tokenizer.model, not tokenizer.json: the SentencePiece model is what the model was trained with"
                : nil
            return (modelURL.appendingPathComponent(first), note)
        }
        guard let file = try? MappedFile(modelURL), (try? detect(file)) == .gguf else { return nil }
        return (modelURL, "using the vocabulary embedded in the GGUF file")
    }

    /// The tokenizer of a model directory or GGUF model; nil when the model does not say.
    public static func forModel(_ modelURL: URL) throws -> Tokenizer? {
        guard let (url, _) = tokenizerFile(forModel: modelURL) else { return nil }
        if url == modelURL { return try fromGGUF(try GGUFFile(modelURL)) }
        return try load(url)
    }

    /// The vocabulary inside a GGUF file (`tokenizer.ggml.*`).
    public static func fromGGUF(_ gguf: GGUFFile) throws -> Tokenizer {
        let url = gguf.file.url
        switch gguf.metadata["tokenizer.ggml.model"]?.string {
        case "llama": return try GGUFSentencePieceVocabulary.load(gguf)
        case "gpt2": return try ByteLevelBPE(gguf: gguf)
        case nil: throw ModelFileError(url, "no tokenizer.ggml.model: the GGUF file has no vocabulary")
        case let m?: throw ModelFileError(url, "GGUF tokenizer model \(m) is not supported (llama and gpt2 are)")
        }
    }

    /// The format of a file from its first bytes.
    public static func detect(_ file: MappedFile) throws -> Format {
        let b = file.bytes
        guard b.count > 0 else { throw ModelFileError(file.url, "empty file, not a tokenizer") }
        if b.count >= 4, b.loadUnaligned(as: UInt32.self) == 0x4655_4747 { return .gguf }
        var i = 0
        while i < b.count, [0x20, 0x09, 0x0A, 0x0D, 0xEF, 0xBB, 0xBF].contains(b[i]) { i += 1 }
        if i < b.count, b[i] == UInt8(ascii: "{") { return .tokenizerJSON }
        if looksLikeRanks(b) { return .tiktokenRanks }
        if startsLikeModelProto(b) { return .sentencePieceModel }
        if LlamaTwoCTokenizerFile.looksLike(file) { return .llama2c }
        throw ModelFileError(file.url, "not a tokenizer file (expected a SentencePiece model, tiktoken ranks, "
                             + "tokenizer.json, GGUF or llama2.c tokenizer.bin)")
    }

    /// A SentencePiece ModelProto starts with its first piece: field 1 (length-delimited, non-empty) whose own
    /// first field is the piece text (field 1, length-delimited). A llama2.c file never starts so.
    private static func startsLikeModelProto(_ b: UnsafeRawBufferPointer) -> Bool {
        guard b.count >= 4, b[0] == 0x0A else { return false }
        var i = 1, n = 0, shift = 0
        while i < b.count, i < 6 {
            n |= Int(b[i] & 0x7F) << shift
            shift += 7
            i += 1
            if b[i - 1] < 0x80 { break }
        }
        return n > 2 && i < b.count && b[i] == 0x0A
    }

    /// tiktoken: lines of `base64 rank`.
    private static func looksLikeRanks(_ b: UnsafeRawBufferPointer) -> Bool {
        guard let end = b.firstIndex(of: 0x0A), end > 2 else { return false }
        let line = b[..<end]
        guard let space = line.firstIndex(of: 0x20), space > 0, space < end - 1 else { return false }
        let b64 = line[..<space].allSatisfy { c in
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F || c == 0x3D
        }
        return b64 && line[(space + 1)...].allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
