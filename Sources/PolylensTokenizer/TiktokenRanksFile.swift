import Foundation
import PolylensModel

/// A tiktoken rank file (Llama 3's `tokenizer.model`): one `base64(token bytes) rank` per line, the rank
/// being the token id and the merge priority. Llama 3's pattern and its 256 special tokens are not in the
/// file; they come from Meta's tokenizer.py and are added here.
enum TiktokenRanksFile {
    /// Meta's names for ids 128000…128011 (llama-models, models/llama3/tokenizer.py); the rest of the 256
    /// are `<|reserved_special_token_N|>` numbered on from 2.
    static let llama3NamedSpecials = [
        "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
        "<|finetune_right_pad_id|>", "<|step_id|>", "<|start_header_id|>", "<|end_header_id|>",
        "<|eom_id|>", "<|eot_id|>", "<|python_tag|>", "<|image|>",
    ]
    static let llama3SpecialCount = 256

    static var llama3Specials: [String] {
        llama3NamedSpecials
            + (0..<(llama3SpecialCount - llama3NamedSpecials.count)).map { "<|reserved_special_token_\(2 + $0)|>" }
    }

    /// The tokens of the file in rank order; ranks must be 0, 1, 2… line by line.
    static func read(_ url: URL) throws -> [[UInt8]] {
        let data = try MappedFile.contents(url)
        var tokens: [[UInt8]] = []
        var lineNumber = 0
        var failure: String? = nil
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let b = raw.bindMemory(to: UInt8.self)
            var i = 0
            while i < b.count, failure == nil {
                lineNumber += 1
                var end = i
                while end < b.count, b[end] != 0x0A { end += 1 }
                defer { i = end + 1 }
                if end == i { continue }
                var space = i
                while space < end, b[space] != 0x20 { space += 1 }
                var rank = 0, digits = 0
                var k = space + 1
                while k < end, b[k] >= 0x30, b[k] <= 0x39, digits < 10 {
                    rank = rank * 10 + Int(b[k] - 0x30); digits += 1; k += 1
                }
                if k < end, b[k] == 0x0D { k += 1 }
                guard space < end, digits > 0, k == end else {
                    failure = "line \(lineNumber): expected 'base64-token rank'"; return
                }
                guard let bytes = base64(b, i, space), !bytes.isEmpty else {
                    failure = "line \(lineNumber): invalid base64 token"; return
                }
                guard rank == tokens.count else {
                    failure = "line \(lineNumber): rank \(rank), expected \(tokens.count) (ranks must be dense and in order)"
                    return
                }
                tokens.append(bytes)
            }
        }
        if let failure { throw ModelFileError(url, failure) }
        guard !tokens.isEmpty else { throw ModelFileError(url, "no tokens (empty tiktoken rank file)") }
        return tokens
    }

    private static let base64Values: [Int8] = {
        var t = [Int8](repeating: -1, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() { t[Int(c)] = Int8(i) }
        return t
    }()

    /// Strict padded base64 of `b[start..<end]`, nil if malformed.
    private static func base64(_ b: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> [UInt8]? {
        let n = end - start
        guard n > 0, n % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(n / 4 * 3)
        var i = start
        while i < end {
            var quad: UInt32 = 0
            var pad = 0
            for k in 0..<4 {
                let c = b[i + k]
                if c == UInt8(ascii: "=") && i + 4 == end && k >= 2 {
                    pad += 1
                    quad <<= 6
                    continue
                }
                let v = base64Values[Int(c)]
                guard v >= 0, pad == 0 else { return nil }
                quad = quad << 6 | UInt32(v)
            }
            out.append(UInt8(quad >> 16))
            if pad < 2 { out.append(UInt8(quad >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(quad & 0xFF)) }
            i += 4
        }
        return out
    }
}

extension ByteLevelBPE {
    /// Llama 3 from its tiktoken rank file, with Llama 3's pattern and 256 special tokens after the ranks.
    public convenience init(tiktokenRanks url: URL) throws {
        let ranks = try TiktokenRanksFile.read(url)
        var entries = ranks.map { Entry(bytes: $0, kind: .normal) }
        for name in TiktokenRanksFile.llama3Specials { entries.append(Entry(bytes: Array(name.utf8), kind: .control)) }
        let base = ranks.count
        try self.init(entries: entries, preTokenizer: .llama3, ignoreMerges: true,
                      bosId: base, eosId: base + 1) { table in
            // A pair merges into the token it spells, at that token's rank.
            var merges = BPEMerges(capacity: ranks.count * 4)
            for (rank, token) in ranks.enumerated() where token.count > 1 {
                guard table.find(token) == Int32(rank) else {
                    throw ModelFileError(url, "token of rank \(rank) appears twice")
                }
                token.withUnsafeBufferPointer { t in
                    table.forEachSplit(t.baseAddress!, t.count, isCut: { _ in true }) { _, l, r in
                        merges.add(left: l, right: r, rank: Int32(rank), result: Int32(rank))
                    }
                }
            }
            for b in 0..<256 where table.find([UInt8(b)]) == nil {
                throw ModelFileError(url, "no token for byte \(b)")
            }
            return merges
        }
    }
}
