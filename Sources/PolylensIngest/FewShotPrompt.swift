import Foundation
import PolylensTokenizer

/// A few-shot translation prompt for the logit lens (METHODS.md §1), built as the paper's code does
/// (cisnlp/code-specific-neurons, code-logitlens/compute_lens.ipynb): the stripped few-shot lines
/// `"{S}: {s} - {T}: {t}\n"`, then the test pair `"{S}: {src} - {T}: {tgt}"` with both snippets
/// stripped and no newline after it.
public struct FewShotPrompt: Sendable, Equatable {
    public let source: String
    public let target: String
    public let itemKey: String
    /// The prompt up to and including the `"{T}: "` of the test pair.
    public let prefix: String
    /// The whole prompt: `prefix` + the stripped target snippet.
    public let text: String

    public init(source: String, target: String, itemKey: String, sourceExamples: [String], targetExamples: [String],
                sourceSnippet: String, targetSnippet: String) {
        self.source = source; self.target = target; self.itemKey = itemKey
        var prefix = ""
        for (s, t) in zip(sourceExamples, targetExamples) { prefix += "\(source): \(s) - \(target): \(t)\n" }
        prefix += "\(source): \(Self.strip(sourceSnippet)) - \(target): "
        self.prefix = prefix
        text = prefix + Self.strip(targetSnippet)
    }

    /// The prompt's token ids (BOS first when the tokenizer has one) and the first position whose next
    /// token belongs to the target snippet.
    ///
    /// The prefix ends in a space that SentencePiece and byte-level BPE both join to the next word
    /// (`▁void`, `Ġvoid`), so the prefix alone tokenizes to one token more than the full prompt has
    /// before the snippet (a lone `▁`). The first target token is therefore the first token where the
    /// two tokenizations differ, index `c` (without BOS) with `c` their common prefix length, and
    /// the position that predicts it is `c - 1`, or `c` counting BOS: with the usual trailing lone
    /// space, the prefix length minus one. When the space stays a token of its own (the snippet
    /// starts with a character it cannot join), `c` is the whole prefix and the space is not a
    /// target token. The paper's code uses `len(tokenize(prefix))` as the first index into the
    /// BOS-led sequence, which is the same position in the first case.
    public func tokenize(_ tokenizer: Tokenizer) throws -> (tokens: [Int32], firstPosition: Int) {
        let full = tokenizer.encode(text, addBOS: false, parseSpecial: false)
        let head = tokenizer.encode(prefix, addBOS: false, parseSpecial: false)
        var common = 0
        while common < min(full.count, head.count), full[common] == head[common] { common += 1 }
        let bos = tokenizer.bosId.map { [Int32($0)] } ?? []
        let firstPosition = common + bos.count - 1
        guard firstPosition >= 0, firstPosition < bos.count + full.count - 1 else {
            throw IngestError("prompt \(source)→\(target) \(itemKey): no target token to predict")
        }
        return (bos + full.map { Int32($0) }, firstPosition)
    }

    /// Python's `str.strip()`: whitespace at both ends.
    static func strip(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// The few-shot lines of `--prompts DIR`: `<language lower-cased>_fewshot.txt`, one example per line,
/// line i of every file parallel to line i of the others.
public struct FewShotExamples: Sendable {
    public let directory: String

    public init(directory: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), isDir.boolValue else {
            throw IngestError("\(directory): not a directory of few-shot prompts")
        }
        self.directory = directory
    }

    /// The stripped lines of `language`'s file (as Python's `readlines()` splits them).
    public func lines(_ language: String) throws -> [String] {
        let path = directory + "/" + language.lowercased() + "_fewshot.txt"
        guard let data = FileManager.default.contents(atPath: path) else { throw IngestError("\(path): unreadable") }
        var lines = String(decoding: data, as: UTF8.self).components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        if lines.isEmpty { throw IngestError("\(path): no few-shot lines") }
        return lines.map(FewShotPrompt.strip)
    }

    /// Every ordered pair S ≠ T of `languages` over the first `items` ids of `snippets` (sorted), pair by
    /// pair in the order of `languages`, ids in order within a pair.
    public func prompts(snippets: ParallelSnippets, languages: [String], items: Int) throws -> [FewShotPrompt] {
        var examples: [String: [String]] = [:]
        for language in languages {
            examples[language] = try lines(language)
            guard snippets.languages.contains(language) else {
                throw IngestError("\(snippets.directory): no snippets for \(language)")
            }
        }
        let ids = Array(snippets.ids.prefix(max(0, items)))
        var prompts: [FewShotPrompt] = []
        for source in languages {
            for target in languages where target != source {
                let s = examples[source] ?? [], t = examples[target] ?? []
                guard s.count == t.count else {
                    throw IngestError("\(directory): \(source) has \(s.count) few-shot lines, \(target) has \(t.count)")
                }
                for id in ids {
                    guard let src = snippets.text(source, id), let tgt = snippets.text(target, id) else { continue }
                    prompts.append(FewShotPrompt(source: source, target: target, itemKey: id, sourceExamples: s,
                                                 targetExamples: t, sourceSnippet: src, targetSnippet: tgt))
                }
            }
        }
        return prompts
    }
}
