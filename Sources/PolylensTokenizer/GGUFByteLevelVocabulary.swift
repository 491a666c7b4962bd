import Foundation
import PolylensModel

extension ByteLevelBPE {
    /// The vocabulary of a GGUF whose `tokenizer.ggml.model` is `gpt2`: byte-level tokens, merges in rank
    /// order, token types (3 control, 4 user-defined) and `tokenizer.ggml.pre` naming the pre-tokenizer.
    public convenience init(gguf: GGUFFile) throws {
        let url = gguf.file.url
        let meta = gguf.metadata
        guard let model = meta["tokenizer.ggml.model"]?.string else {
            throw ModelFileError(url, "no tokenizer.ggml.model (not a GGUF with a vocabulary)")
        }
        guard model == "gpt2" else {
            throw ModelFileError(url, "tokenizer.ggml.model is '\(model)', byte-level BPE needs 'gpt2'")
        }
        guard let tokens = meta["tokenizer.ggml.tokens"]?.array, !tokens.isEmpty else {
            throw ModelFileError(url, "missing or empty tokenizer.ggml.tokens")
        }
        let types = meta["tokenizer.ggml.token_type"]?.array
        if let types, types.count != tokens.count {
            throw ModelFileError(url, "tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
        }
        let preName = meta["tokenizer.ggml.pre"]?.string ?? "default"
        guard let pre = PreTokenizer(ggufName: preName) else {
            throw ModelFileError(url, "unknown pre-tokenizer '\(preName)' in tokenizer.ggml.pre")
        }
        var texts: [String] = []
        texts.reserveCapacity(tokens.count)
        var entries: [Entry] = []
        entries.reserveCapacity(tokens.count)
        for (id, value) in tokens.enumerated() {
            guard let text = value.string else { throw ModelFileError(url, "token \(id) is not a string") }
            texts.append(text)
            switch types?[id].int ?? 1 {
            case 3, 2: entries.append(Entry(bytes: Array(text.utf8), kind: .control))
            case 4: entries.append(Entry(bytes: Array(text.utf8), kind: .userDefined))
            default:
                // A normal token outside the byte alphabet can never come out of BPE; it still decodes.
                if let bytes = ByteLevelAlphabet.bytes(of: text) {
                    entries.append(Entry(bytes: bytes, kind: .normal))
                } else {
                    entries.append(Entry(bytes: Array(text.utf8), kind: .userDefined))
                }
            }
        }
        let mergeList = meta["tokenizer.ggml.merges"]?.array ?? []
        func id(_ key: String) -> Int? { meta[key]?.int.flatMap { $0 >= 0 && $0 < tokens.count ? $0 : nil } }
        try self.init(entries: entries, preTokenizer: pre, ignoreMerges: pre == .llama3,
                      bosId: id("tokenizer.ggml.bos_token_id"), eosId: id("tokenizer.ggml.eos_token_id")) { _ in
            try BPEMerges(mergeList.map { $0.string }, vocabulary: texts, file: url)
        }
    }
}

extension BPEMerges {
    /// From a merges list ("left right" per entry, rank = position) over a vocabulary of token texts.
    init(_ list: [String?], vocabulary: [String], file: URL) throws {
        var pairs: [(String, String)] = []
        pairs.reserveCapacity(list.count)
        for (rank, entry) in list.enumerated() {
            // The separator is the first space after the first character (a token may start with a space).
            guard let entry, let first = entry.unicodeScalars.first,
                  let space = entry.unicodeScalars.dropFirst().firstIndex(of: " ") else {
                throw ModelFileError(file, "merge \(rank) is not a 'left right' string")
            }
            _ = first
            pairs.append((String(entry.unicodeScalars[..<space]),
                          String(entry.unicodeScalars[entry.unicodeScalars.index(after: space)...])))
        }
        self.init(pairs: pairs, vocabulary: vocabulary)
    }

    /// From merge pairs in rank order over a vocabulary of token texts (index = id). Merges naming text
    /// that is not a token are skipped, as llama.cpp does.
    init(pairs: [(String, String)], vocabulary: [String]) {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (i, t) in vocabulary.enumerated() where ids[t] == nil { ids[t] = Int32(i) }
        self.init(capacity: pairs.count)
        for (rank, (left, right)) in pairs.enumerated() {
            guard let l = ids[left], let r = ids[right], let m = ids[left + right] else { continue }
            add(left: l, right: r, rank: Int32(rank), result: m)
        }
    }
}
