import Foundation
import PolylensModel

/// Byte-level BPE (GPT-2, Llama 3, StarCoder, DeepSeek…): text is cut by the model's pre-tokenizer, each
/// piece's UTF-8 bytes are merged by rank into tokens. Vocabularies are held as raw bytes, so decoding
/// joins bytes first and only then reads UTF-8 (a character split across tokens comes out whole).
///
/// Built from a tiktoken rank file (`init(tiktokenRanks:)`), a GGUF vocabulary (`init(gguf:)`) or a
/// Hugging Face `tokenizer.json` (`HFTokenizerJSON.load`).
public final class ByteLevelBPE: Tokenizer, @unchecked Sendable {
    /// How a vocabulary entry takes part in encoding.
    enum Kind: UInt8 {
        /// Produced by BPE from bytes.
        case normal
        /// Recognised in text only when asking for special tokens (`<|begin_of_text|>`, `<s>`).
        case control
        /// An added token recognised in text always (Hugging Face `special: false`, GGUF user-defined).
        case userDefined
    }

    struct Entry {
        var bytes: [UInt8]
        var kind: Kind
    }

    public let vocabSize: Int
    public let bosId: Int?
    public let eosId: Int?
    public let preTokenizer: PreTokenizer
    /// A pre-token that is itself a token is emitted whole (tiktoken; Hugging Face `ignore_merges`).
    public let ignoreMerges: Bool

    private let entries: [Entry]
    private let table: ByteStringTable
    private let byteTokens: ByteIndexed<Int32>
    private let merges: BPEMerges
    private let controlTokens: SpecialTokens
    private let alwaysTokens: SpecialTokens
    private let caches = ScratchPool { EncodeCache() }

    /// `merges` builds the merge table given the table of normal tokens by bytes.
    init(entries: [Entry], preTokenizer: PreTokenizer, ignoreMerges: Bool, bosId: Int?, eosId: Int?,
         merges: (ByteStringTable) throws -> BPEMerges) rethrows {
        self.entries = entries
        self.preTokenizer = preTokenizer
        self.ignoreMerges = ignoreMerges
        self.bosId = bosId
        self.eosId = eosId
        vocabSize = entries.count
        var table = ByteStringTable(capacity: entries.count)
        var control: [String: Int] = [:]
        var always: [String: Int] = [:]
        for (id, e) in entries.enumerated() {
            switch e.kind {
            case .normal: table.insert(e.bytes, value: Int32(id))
            case .control: control[String(decoding: e.bytes, as: UTF8.self)] = id
            case .userDefined: always[String(decoding: e.bytes, as: UTF8.self)] = id
            }
        }
        self.table = table
        self.merges = try merges(table)
        byteTokens = ByteIndexed { table.find([$0]) ?? -1 }
        controlTokens = SpecialTokens(control.merging(always) { a, _ in a })
        alwaysTokens = SpecialTokens(always)
    }

    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] {
        var cache = caches.take()
        defer { caches.give(cache) }
        cache.out.removeAll(keepingCapacity: true)
        if addBOS, let bos = bosId { cache.out.append(Int32(bos)) }
        for segment in (parseSpecial ? controlTokens : alwaysTokens).split(text) {
            switch segment {
            case .special(let id): cache.out.append(Int32(id))
            case .text(let plain): encodePlain(plain, &cache)
            }
        }
        return cache.out.map { Int($0) }
    }

    private func encodePlain(_ plain: Substring, _ cache: inout EncodeCache) {
        var text = plain
        text.withUTF8 { buf in
            guard let p = buf.baseAddress else { return }
            preTokenizer.split(buf) { s, e in self.encodePiece(p + s, e - s, &cache) }
        }
    }

    /// Appends the tokens of one pre-token to `cache.out`.
    @inline(__always)
    private func encodePiece(_ p: UnsafePointer<UInt8>, _ n: Int, _ cache: inout EncodeCache) {
        if n == 1 {
            let t = byteTokens[p[0]]
            if t >= 0 { cache.out.append(t) }
            return
        }
        if ignoreMerges, let id = table.find(p, n) { cache.out.append(id); return }
        if cache.memo.append(p, n, to: &cache.out) { return }
        cache.symbols.removeAll(keepingCapacity: true)
        for i in 0..<n {
            let t = byteTokens[p[i]]
            if t >= 0 { cache.symbols.append(t) }
        }
        merges.apply(&cache.symbols, scratch: &cache.scratch)
        cache.memo.remember(p, n, ids: cache.symbols)
        cache.out.append(contentsOf: cache.symbols)
    }

    public func decode(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && id < entries.count { bytes.append(contentsOf: entries[id].bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func piece(_ id: Int) -> String {
        guard id >= 0, id < entries.count else { return "" }
        let e = entries[id]
        return e.kind == .normal ? ByteLevelAlphabet.text(of: e.bytes) : String(decoding: e.bytes, as: UTF8.self)
    }
}

/// Per-call state of `encode` (one per concurrent caller, from a `ScratchPool`): BPE scratch buffers and the
/// memo of pre-tokens already merged.
struct EncodeCache {
    var memo = TokenMemo()
    var symbols: [Int32] = []
    var scratch = BPEScratch()
    /// The ids of the text being encoded.
    var out: [Int32] = []
}
