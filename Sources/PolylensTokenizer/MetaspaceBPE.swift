import Foundation

/// BPE over text whose spaces are written `▁`, with byte fallback (`<0x0A>`): Hugging Face's form of
/// SentencePiece models such as Llama 2's. Merges come from the file's merges list; characters outside the
/// vocabulary fall back to their UTF-8 bytes, or to the unknown token.
final class MetaspaceBPE: Tokenizer, @unchecked Sendable {
    /// How spaces become `▁` and whether a `▁` is put in front of the text.
    enum Prefix {
        /// Llama-2 layout: normalizer Prepend("▁") + Replace(" ", "▁"): every plain segment gets a `▁`.
        case always
        /// Metaspace `prepend_scheme: first`: only the segment at the start of the input, and only when it
        /// does not already start with `▁`.
        case firstUnlessSpace
        /// Metaspace `always`: every segment that does not already start with `▁`.
        case everyUnlessSpace
        case never
    }

    let vocabSize: Int
    let bosId: Int?
    let eosId: Int?

    private let pieces: [String]
    private let specialIds: Set<Int>
    private let scalarTokens: [UInt32: Int32]
    private let byteTokens: [Int32]?
    private let unkId: Int32?
    private let fuseUnk: Bool
    private let merges: BPEMerges
    private let prefix: Prefix
    /// Metaspace `split: true`: each `▁` starts a new word.
    private let splitWords: Bool
    private let ignoreMerges: Bool
    private let tokenIds: [String: Int32]
    /// The decoder strips the one space the prefix added.
    private let stripsPrefix: Bool
    private let controlTokens: SpecialTokens
    private let alwaysTokens: SpecialTokens

    init(pieces: [String], special: [String: Int], added: [String: Int], merges: BPEMerges, prefix: Prefix,
         splitWords: Bool, byteFallback: Bool, unkId: Int?, fuseUnk: Bool, ignoreMerges: Bool, stripsPrefix: Bool,
         bosId: Int?, eosId: Int?) {
        self.pieces = pieces
        vocabSize = pieces.count
        specialIds = Set(special.values).union(added.values)
        var scalars: [UInt32: Int32] = [:]
        var ids: [String: Int32] = [:]
        for (i, p) in pieces.enumerated() where !p.isEmpty {
            if ids[p] == nil { ids[p] = Int32(i) }
            let u = p.unicodeScalars
            if u.count == 1, scalars[u.first!.value] == nil { scalars[u.first!.value] = Int32(i) }
        }
        tokenIds = ids
        scalarTokens = scalars
        if byteFallback {
            let bytes = (0..<256).map { ids[String(format: "<0x%02X>", $0)] ?? -1 }
            byteTokens = bytes.contains(-1) ? nil : bytes
        } else {
            byteTokens = nil
        }
        self.unkId = unkId.map { Int32($0) }
        self.fuseUnk = fuseUnk
        self.merges = merges
        self.prefix = prefix
        self.splitWords = splitWords
        self.ignoreMerges = ignoreMerges
        self.stripsPrefix = stripsPrefix
        self.bosId = bosId
        self.eosId = eosId
        controlTokens = SpecialTokens(special.merging(added) { a, _ in a })
        alwaysTokens = SpecialTokens(added)
    }

    func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int] = []
        if addBOS, let bos = bosId { out.append(bos) }
        var scratch = BPEScratch()
        var symbols: [Int32] = []
        for segment in (parseSpecial ? controlTokens : alwaysTokens).split(text) {
            switch segment {
            case .special(let id): out.append(id)
            case .text(let plain):
                var normalized = String.UnicodeScalarView()
                let startsWithSpace = plain.unicodeScalars.first == " "
                let atStart = plain.startIndex == text.startIndex
                switch prefix {
                case .always: normalized.append("▁")
                case .firstUnlessSpace: if atStart && !startsWithSpace { normalized.append("▁") }
                case .everyUnlessSpace: if !startsWithSpace { normalized.append("▁") }
                case .never: break
                }
                for s in plain.unicodeScalars { normalized.append(s == " " ? "▁" : s) }
                var word = String.UnicodeScalarView()
                for s in normalized {
                    if splitWords, s == "▁", !word.isEmpty {
                        encodeWord(word, &out, &symbols, &scratch)
                        word.removeAll()
                    }
                    word.append(s)
                }
                if !word.isEmpty { encodeWord(word, &out, &symbols, &scratch) }
            }
        }
        return out
    }

    private func encodeWord(_ word: String.UnicodeScalarView, _ out: inout [Int], _ symbols: inout [Int32],
                            _ scratch: inout BPEScratch) {
        if ignoreMerges, let id = tokenIds[String(word)] { out.append(Int(id)); return }
        symbols.removeAll(keepingCapacity: true)
        var lastWasUnk = false
        for s in word {
            if let t = scalarTokens[s.value] {
                symbols.append(t)
                lastWasUnk = false
            } else if let bytes = byteTokens {
                for b in String(s).utf8 { symbols.append(bytes[Int(b)]) }
                lastWasUnk = false
            } else if let unk = unkId {
                if !(fuseUnk && lastWasUnk) { symbols.append(unk) }
                lastWasUnk = true
            }
        }
        merges.apply(&symbols, scratch: &scratch)
        for t in symbols { out.append(Int(t)) }
    }

    func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < pieces.count {
            let p = pieces[id]
            if !specialIds.contains(id), p.utf8.count == 6, p.hasPrefix("<0x"), p.hasSuffix(">"),
               let b = UInt8(p.dropFirst(3).dropLast(), radix: 16) {
                bytes.append(b)
            } else if specialIds.contains(id) {
                bytes.append(contentsOf: p.utf8)
            } else {
                for s in p.unicodeScalars {
                    if s == "▁" { bytes.append(0x20) } else { bytes.append(contentsOf: String(s).utf8) }
                }
            }
        }
        if stripsPrefix, bytes.first == 0x20 { bytes.removeFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }

    func piece(_ id: Int) -> String { id >= 0 && id < pieces.count ? pieces[id] : "" }
}
