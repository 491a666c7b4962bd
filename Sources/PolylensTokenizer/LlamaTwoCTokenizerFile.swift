import Foundation
import PolylensModel

/// llama2.c's `tokenizer.bin`: int32 max_token_len, then until the end of the file, per token: f32 score,
/// int32 length, bytes. It is a SentencePiece BPE vocabulary exported by llama2.c's `tokenizer.py`, which wrote
/// `▁` as a space and BOS/EOS as "\n<s>\n" / "\n</s>\n"; reading undoes that, and llama2.c's `encode`
/// (score-ordered merges, dummy prefix, byte fallback to `<0xNN>`) is then SentencePiece BPE.
public enum LlamaTwoCTokenizerFile {
    public static func load(_ url: URL) throws -> SentencePieceBPE {
        try load(try MappedFile(url))
    }

    public static func load(_ file: MappedFile) throws -> SentencePieceBPE {
        let url = file.url
        var r = ByteReader(file)
        let maxLen = try r.read(Int32.self, "max_token_len")
        guard maxLen > 0, maxLen <= 4096 else {
            throw ModelFileError(url, "not a llama2.c tokenizer (max_token_len \(maxLen))")
        }
        var pieces: [SentencePieceBPE.Piece] = []
        var bos: Int?, eos: Int?
        while r.offset < file.count {
            let id = pieces.count
            let score = try r.f32("score of token \(id)")
            let len = try r.read(Int32.self, "length of token \(id)")
            guard len >= 0, len <= maxLen else {
                throw ModelFileError(url, "token \(id) has length \(len), max_token_len is \(maxLen)")
            }
            let raw = try r.bytes(Int(len), "bytes of token \(id)")
            guard let text = String(validUTF8: raw) else {
                throw ModelFileError(url, "token \(id) is not valid UTF-8")
            }
            let type: SentencePieceBPE.PieceType
            var piece = text
            switch text {
            case "\n<s>\n": type = .control; piece = "<s>"; bos = bos ?? id
            case "\n</s>\n": type = .control; piece = "</s>"; eos = eos ?? id
            case "<unk>" where id == 0: type = .unknown
            default:
                if SentencePieceBPE.byteValue(text) != nil {
                    type = .byte
                } else {
                    type = .normal
                    piece = text.replacingOccurrences(of: " ", with: "▁")
                }
            }
            pieces.append(.init(piece, score: score, type: type))
        }
        return try SentencePieceBPE(pieces: pieces, normalization: .init(), byteFallback: true,
                                    bosId: bos, eosId: eos, source: url)
    }

    /// Whether the first record is plausible: a small max_token_len and a first token that fits it.
    static func looksLike(_ file: MappedFile) -> Bool {
        var r = ByteReader(file)
        guard let maxLen = try? r.read(Int32.self, "max_token_len"), maxLen > 0, maxLen <= 4096,
              let score = try? r.f32("score"), score.isFinite,
              let len = try? r.read(Int32.self, "length"), len > 0, len <= maxLen,
              let raw = try? r.bytes(Int(len), "bytes") else { return false }
        return String(validUTF8: raw) != nil
    }
}

extension String {
    /// A String from bytes that must be valid UTF-8 (nil otherwise); NULs are kept.
    init?(validUTF8 raw: UnsafeRawBufferPointer) {
        guard let s = String(validating: raw.bindMemory(to: UInt8.self), as: UTF8.self) else { return nil }
        self = s
    }
}
