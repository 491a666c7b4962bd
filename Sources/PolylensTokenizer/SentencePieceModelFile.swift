import Foundation
import PolylensModel

/// A SentencePiece `.model` file: a serialized `ModelProto`, read with a small protobuf wire-format reader
/// (only the fields that decide the ids are kept).
public enum SentencePieceModelFile {
    public static func load(_ url: URL) throws -> SentencePieceBPE {
        try load(try MappedFile(url))
    }

    public static func load(_ file: MappedFile) throws -> SentencePieceBPE {
        let url = file.url
        var pieces: [SentencePieceBPE.Piece] = []
        var modelType = 1  // UNIGRAM, protobuf default
        var byteFallback = false
        var bosId = 1, eosId = 2
        var treatWhitespaceAsSuffix = false
        var norm = SentencePieceBPE.Normalization(addDummyPrefix: true, removeExtraWhitespaces: true,
                                                  escapeWhitespaces: true)
        var normalizerName = "", charsmapBytes = 0
        var hasTrainerSpec = false
        var top = ProtobufReader(file.bytes, url: url, what: "ModelProto")
        while let f = try top.next() {
            switch f.number {
            case 1:
                var p = ProtobufReader(try f.message(), url: url, what: "piece \(pieces.count)")
                var text: String?, score: Float = 0, type = 1
                while let g = try p.next() {
                    switch g.number {
                    case 1: text = try g.string()
                    case 2: score = try g.float()
                    case 3: type = try g.int()
                    default: break
                    }
                }
                guard let text else { throw ModelFileError(url, "piece \(pieces.count) has no text") }
                guard let t = SentencePieceBPE.PieceType(rawValue: type) else {
                    throw ModelFileError(url, "piece \(pieces.count) has unknown type \(type)")
                }
                pieces.append(.init(text, score: score, type: t))
            case 2:
                hasTrainerSpec = true
                var t = ProtobufReader(try f.message(), url: url, what: "trainer_spec")
                while let g = try t.next() {
                    switch g.number {
                    case 3: modelType = try g.int()
                    case 24: treatWhitespaceAsSuffix = try g.int() != 0
                    case 35: byteFallback = try g.int() != 0
                    case 41: bosId = try g.int()
                    case 42: eosId = try g.int()
                    default: break
                    }
                }
            case 3:
                var n = ProtobufReader(try f.message(), url: url, what: "normalizer_spec")
                while let g = try n.next() {
                    switch g.number {
                    case 1: normalizerName = try g.string()
                    case 2: charsmapBytes = try g.message().count
                    case 3: norm.addDummyPrefix = try g.int() != 0
                    case 4: norm.removeExtraWhitespaces = try g.int() != 0
                    case 5: norm.escapeWhitespaces = try g.int() != 0
                    default: break
                    }
                }
            default: break
            }
        }
        guard !pieces.isEmpty else { throw ModelFileError(url, "not a SentencePiece model (no pieces)") }
        // sentencepiece always writes trainer_spec after the pieces: without it the file was cut short.
        guard hasTrainerSpec else {
            throw ModelFileError(url, "truncated SentencePiece model: no trainer_spec after \(pieces.count) pieces")
        }
        guard modelType == 2 else {
            let name = [1: "UNIGRAM", 3: "WORD", 4: "CHAR"][modelType] ?? "\(modelType)"
            throw ModelFileError(url, "SentencePiece model type \(name) is not supported (BPE only)")
        }
        guard !treatWhitespaceAsSuffix else {
            throw ModelFileError(url, "treat_whitespace_as_suffix is not supported")
        }
        // Only the identity normalizer is implemented; NFKC tables would change the text before encoding.
        guard charsmapBytes == 0, normalizerName.isEmpty || normalizerName == "identity" else {
            throw ModelFileError(url, "normalizer \(normalizerName.isEmpty ? "with a charsmap" : normalizerName) is not supported (identity only)")
        }
        func control(_ id: Int) -> Int? { pieces.indices.contains(id) && pieces[id].type == .control ? id : nil }
        return try SentencePieceBPE(pieces: pieces, normalization: norm, byteFallback: byteFallback,
                                    bosId: control(bosId), eosId: control(eosId), source: url)
    }
}

/// Protobuf wire format: (field number, wire type) keys, varints, fixed32/64 and length-delimited fields.
struct ProtobufReader {
    struct Field {
        let number: Int
        let wireType: Int
        let varint: UInt64
        let bytes: UnsafeRawBufferPointer
        let url: URL
        let what: String

        func int() throws -> Int {
            guard wireType == 0 else { throw ModelFileError(url, "\(what): field \(number) is not a varint") }
            return Int(truncatingIfNeeded: Int32(truncatingIfNeeded: varint))
        }
        func float() throws -> Float {
            guard wireType == 5 else { throw ModelFileError(url, "\(what): field \(number) is not a float") }
            return Float(bitPattern: bytes.loadUnaligned(as: UInt32.self).littleEndian)
        }
        func message() throws -> UnsafeRawBufferPointer {
            guard wireType == 2 else { throw ModelFileError(url, "\(what): field \(number) is not length-delimited") }
            return bytes
        }
        func string() throws -> String {
            guard let s = String(validating: try message().bindMemory(to: UInt8.self), as: UTF8.self) else {
                throw ModelFileError(url, "\(what): field \(number) is not valid UTF-8")
            }
            return s
        }
    }

    let data: UnsafeRawBufferPointer
    let url: URL
    let what: String
    var offset = 0

    init(_ data: UnsafeRawBufferPointer, url: URL, what: String) { self.data = data; self.url = url; self.what = what }

    private mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < data.count else { throw ModelFileError(url, "truncated protobuf in \(what)") }
            let b = data[offset]
            offset += 1
            guard shift < 64 else { throw ModelFileError(url, "corrupt protobuf varint in \(what)") }
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard n >= 0, n <= data.count - offset else {
            throw ModelFileError(url, "truncated protobuf in \(what): field needs \(n) bytes, \(data.count - offset) left")
        }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: data[offset..<(offset + n)])
    }

    /// The next field, or nil at the end.
    mutating func next() throws -> Field? {
        guard offset < data.count else { return nil }
        let key = try varint()
        let number = Int(key >> 3), wire = Int(key & 7)
        guard number > 0 else { throw ModelFileError(url, "corrupt protobuf in \(what): field number 0") }
        switch wire {
        case 0: return Field(number: number, wireType: 0, varint: try varint(), bytes: .init(start: nil, count: 0), url: url, what: what)
        case 1: return Field(number: number, wireType: 1, varint: 0, bytes: try take(8), url: url, what: what)
        case 2:
            let n = try varint()
            guard n <= UInt64(data.count) else { throw ModelFileError(url, "truncated protobuf in \(what): length \(n)") }
            return Field(number: number, wireType: 2, varint: 0, bytes: try take(Int(n)), url: url, what: what)
        case 5: return Field(number: number, wireType: 5, varint: 0, bytes: try take(4), url: url, what: what)
        default: throw ModelFileError(url, "corrupt protobuf in \(what): wire type \(wire)")
        }
    }
}
