import Foundation
import PolylensModel

/// A Hugging Face `tokenizer.json` with a BPE model, in the two layouts Llama-family checkpoints use:
/// byte-level (Llama 3, GPT-2, StarCoder: a ByteLevel pre-tokenizer, maybe after a Split regex) and
/// `▁` with byte fallback (Llama 2, CodeLlama: a Metaspace pre-tokenizer, or the older normalizer
/// Prepend("▁") + Replace(" ", "▁")). BOS and EOS come from tokenizer_config.json beside it when present,
/// else from the post-processor's template.
public enum HFTokenizerJSON {
    public static func load(_ url: URL) throws -> Tokenizer {
        let data = try MappedFile.contents(url)
        let root: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ModelFileError(url, "not a tokenizer.json (top level is not an object)")
            }
            root = object
        } catch let e as ModelFileError {
            throw e
        } catch {
            throw ModelFileError(url, "invalid JSON (truncated or damaged tokenizer.json)")
        }
        return try Spec(root, url: url).tokenizer()
    }

    /// The parts of the file a tokenizer is built from, checked.
    private struct Spec {
        let url: URL
        let root: [String: Any]
        let model: [String: Any]
        var pieces: [String] = []
        var special: [String: Int] = [:]
        var added: [String: Int] = [:]
        var mergePairs: [(String, String)] = []

        init(_ root: [String: Any], url: URL) throws {
            self.url = url
            self.root = root
            guard let model = root["model"] as? [String: Any] else { throw ModelFileError(url, "no \"model\" object") }
            self.model = model
            let type = model["type"] as? String ?? "BPE"
            guard type == "BPE" else { throw ModelFileError(url, "model type \(type) is not supported (BPE only)") }
            for key in ["continuing_subword_prefix", "end_of_word_suffix"] where !(model[key] is NSNull || model[key] == nil) {
                throw ModelFileError(url, "model.\(key) is not supported")
            }
            guard let vocab = model["vocab"] as? [String: Any] else { throw ModelFileError(url, "no model.vocab object") }
            var byId: [Int: String] = [:]
            for (text, value) in vocab {
                guard let id = value as? Int, id >= 0, id < 10_000_000 else {
                    throw ModelFileError(url, "vocab entry \(text.debugDescription) has no valid id")
                }
                byId[id] = text
            }
            for case let token as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
                guard let id = token["id"] as? Int, id >= 0, id < 10_000_000, let content = token["content"] as? String else {
                    throw ModelFileError(url, "added token without id or content")
                }
                byId[id] = content
                if token["special"] as? Bool ?? false { special[content] = id } else { added[content] = id }
            }
            let count = (byId.keys.max() ?? -1) + 1
            pieces = (0..<count).map { byId[$0] ?? "" }
            guard let merges = model["merges"] as? [Any] else { throw ModelFileError(url, "no model.merges list") }
            for (rank, m) in merges.enumerated() {
                if let pair = m as? [String], pair.count == 2 {
                    mergePairs.append((pair[0], pair[1]))
                } else if let s = m as? String, let space = s.unicodeScalars.dropFirst().firstIndex(of: " ") {
                    mergePairs.append((String(s.unicodeScalars[..<space]),
                                       String(s.unicodeScalars[s.unicodeScalars.index(after: space)...])))
                } else {
                    throw ModelFileError(url, "merge \(rank) is neither \"left right\" nor [left, right]")
                }
            }
        }

        private func type(_ object: Any?) -> String? { (object as? [String: Any])?["type"] as? String }

        /// The object and the objects of a `Sequence` under `key` (`pretokenizers`, `normalizers`, `decoders`).
        private func flatten(_ object: Any?, _ key: String) -> [[String: Any]] {
            guard let o = object as? [String: Any] else { return [] }
            if o["type"] as? String == "Sequence" { return (o[key] as? [Any] ?? []).flatMap { flatten($0, key) } }
            return [o]
        }

        func tokenizer() throws -> Tokenizer {
            let pre = flatten(root["pre_tokenizer"], "pretokenizers")
            let ignoreMerges = model["ignore_merges"] as? Bool ?? false
            let (bos, eos) = specialIds()
            if pre.contains(where: { $0["type"] as? String == "ByteLevel" }) {
                let preTokenizer = try byteLevelPreTokenizer(pre)
                guard root["normalizer"] == nil || root["normalizer"] is NSNull else {
                    throw ModelFileError(url, "a normalizer before a ByteLevel pre-tokenizer is not supported")
                }
                var entries: [ByteLevelBPE.Entry] = []
                for (id, text) in pieces.enumerated() {
                    if special[text] == id {
                        entries.append(.init(bytes: Array(text.utf8), kind: .control))
                    } else if added[text] == id {
                        entries.append(.init(bytes: Array(text.utf8), kind: .userDefined))
                    } else if let bytes = ByteLevelAlphabet.bytes(of: text) {
                        entries.append(.init(bytes: bytes, kind: .normal))
                    } else {
                        entries.append(.init(bytes: Array(text.utf8), kind: .userDefined))
                    }
                }
                let pairs = mergePairs, vocabulary = pieces
                return ByteLevelBPE(entries: entries, preTokenizer: preTokenizer, ignoreMerges: ignoreMerges,
                                    bosId: bos, eosId: eos) { _ in BPEMerges(pairs: pairs, vocabulary: vocabulary) }
            }
            let (prefix, split) = try metaspaceLayout(pre)
            let decoders = flatten(root["decoder"], "decoders")
            let strips = decoders.contains { d in
                (d["type"] as? String == "Strip" && d["content"] as? String == " " && (d["start"] as? Int ?? 0) > 0)
                    || (d["type"] as? String == "Metaspace" && d["prepend_scheme"] as? String != "never")
            }
            let unk = (model["unk_token"] as? String).flatMap { t in pieces.firstIndex(of: t) }
            return MetaspaceBPE(pieces: pieces, special: special, added: added,
                                merges: BPEMerges(pairs: mergePairs, vocabulary: pieces), prefix: prefix,
                                splitWords: split, byteFallback: model["byte_fallback"] as? Bool ?? false,
                                unkId: unk, fuseUnk: model["fuse_unk"] as? Bool ?? false, ignoreMerges: ignoreMerges,
                                stripsPrefix: strips, bosId: bos, eosId: eos)
        }

        private func byteLevelPreTokenizer(_ pre: [[String: Any]]) throws -> PreTokenizer {
            let types = pre.map { $0["type"] as? String ?? "?" }
            guard let byteLevel = pre.last, types.last == "ByteLevel" else {
                throw ModelFileError(url, "pre-tokenizer \(types) is not supported (ByteLevel must come last)")
            }
            if byteLevel["add_prefix_space"] as? Bool ?? false {
                throw ModelFileError(url, "ByteLevel add_prefix_space is not supported")
            }
            let usesRegex = byteLevel["use_regex"] as? Bool ?? true
            let before = pre.dropLast()
            if before.isEmpty && usesRegex { return .gpt2 }
            if before.count == 1, types[0] == "Digits", before[0]["individual_digits"] as? Bool == true, usesRegex {
                return .starcoder
            }
            if before.count == 1, types[0] == "Split", !usesRegex,
               let regex = (before[0]["pattern"] as? [String: Any])?["Regex"] as? String {
                if Self.llama3Patterns.contains(regex) { return .llama3 }
                if regex == Self.gpt2Pattern { return .gpt2 }
                throw ModelFileError(url, "Split regex \(regex.debugDescription) is not a supported pre-tokenizer")
            }
            throw ModelFileError(url, "pre-tokenizer \(types) is not supported")
        }

        static let llama3Patterns: Set<String> = [
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
            #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
        ]
        static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#

        /// `▁` handling: a Metaspace pre-tokenizer, or the Llama-2 normalizer pair with no pre-tokenizer.
        private func metaspaceLayout(_ pre: [[String: Any]]) throws -> (MetaspaceBPE.Prefix, Bool) {
            let normalizers = flatten(root["normalizer"], "normalizers")
            if pre.isEmpty {
                let types = normalizers.map { $0["type"] as? String ?? "?" }
                let prepends = normalizers.contains { $0["type"] as? String == "Prepend" && $0["prepend"] as? String == "▁" }
                let replaces = normalizers.contains {
                    $0["type"] as? String == "Replace" && ($0["pattern"] as? [String: Any])?["String"] as? String == " "
                        && $0["content"] as? String == "▁"
                }
                guard replaces, Set(types).isSubset(of: ["Prepend", "Replace"]) else {
                    throw ModelFileError(url, "normalizer \(types) without a pre-tokenizer is not supported")
                }
                return (prepends ? .always : .never, false)
            }
            guard pre.count == 1, let m = pre.first, m["type"] as? String == "Metaspace",
                  (m["replacement"] as? String ?? "▁") == "▁", normalizers.isEmpty else {
                throw ModelFileError(url, "pre-tokenizer \(pre.map { $0["type"] as? String ?? "?" }) is not supported")
            }
            let scheme = m["prepend_scheme"] as? String ?? ((m["add_prefix_space"] as? Bool ?? true) ? "always" : "never")
            let prefix: MetaspaceBPE.Prefix
            switch scheme {
            case "first": prefix = .firstUnlessSpace
            case "always": prefix = .everyUnlessSpace
            case "never": prefix = .never
            default: throw ModelFileError(url, "Metaspace prepend_scheme \(scheme) is not supported")
            }
            return (prefix, m["split"] as? Bool ?? true)
        }

        /// BOS and EOS: tokenizer_config.json's `bos_token` / `eos_token`, else the template's first special token.
        private func specialIds() -> (Int?, Int?) {
            func id(_ name: String?) -> Int? { name.flatMap { special[$0] ?? added[$0] } }
            var bos: Int? = nil, eos: Int? = nil
            let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
            if let data = try? MappedFile.contents(configURL),
               let config = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                func name(_ v: Any?) -> String? { v as? String ?? (v as? [String: Any])?["content"] as? String }
                bos = id(name(config["bos_token"]))
                eos = id(name(config["eos_token"]))
            }
            if bos == nil {
                let processors = flatten(root["post_processor"], "processors")
                for p in processors where p["type"] as? String == "TemplateProcessing" {
                    if let first = (p["single"] as? [Any])?.first as? [String: Any],
                       let tok = first["SpecialToken"] as? [String: Any] {
                        bos = id(tok["id"] as? String)
                    }
                }
            }
            return (bos, eos)
        }
    }
}
