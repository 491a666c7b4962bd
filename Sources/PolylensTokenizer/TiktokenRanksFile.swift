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
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelFileError(url, "cannot read tiktoken rank file (\(error.localizedDescription))")
        }
        var tokens: [[UInt8]] = []
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.isEmpty { continue }
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let rankText = String(bytes: fields[1], encoding: .ascii),
                  let rank = Int(rankText.trimmingCharacters(in: .whitespaces)) else {
                throw ModelFileError(url, "line \(lineNumber): expected 'base64-token rank'")
            }
            guard let bytes = Data(base64Encoded: Data(fields[0])), !bytes.isEmpty else {
                throw ModelFileError(url, "line \(lineNumber): invalid base64 token")
            }
            guard rank == tokens.count else {
                throw ModelFileError(url, "line \(lineNumber): rank \(rank), expected \(tokens.count) (ranks must be dense and in order)")
            }
            tokens.append([UInt8](bytes))
        }
        guard !tokens.isEmpty else { throw ModelFileError(url, "no tokens (empty tiktoken rank file)") }
        return tokens
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
                for k in 1..<token.count {
                    guard let l = table.find(Array(token[..<k])), let r = table.find(Array(token[k...])) else { continue }
                    merges.add(left: l, right: r, rank: Int32(rank), result: Int32(rank))
                }
            }
            for b in 0..<256 where table.find([UInt8(b)]) == nil {
                throw ModelFileError(url, "no token for byte \(b)")
            }
            return merges
        }
    }
}
