import ArgumentParser
import Foundation
import PolylensIngest
import PolylensModel
import PolylensTokenizer

/// The model and corpus options shared by `ingest` and `bench ingest`.
struct IngestArguments: ParsableArguments {
    @Option(help: "The model: a Hugging Face directory, a GGUF file or a llama2.c checkpoint.")
    var model: String

    @Option(help: "The tokenizer file (default: the model's own; a directory's tokenizer.model before tokenizer.json).")
    var tokenizer: String?

    @Option(name: .customLong("lang"), help: ArgumentHelp("Files of a language, e.g. python='/usr/lib/python3.11/**/*.py' (repeatable; quote the glob).", valueName: "NAME=GLOB"))
    var lang: [String] = []

    @Option(help: ArgumentHelp("One document per line of a JSONL file, from field `text` (then `content`) unless named (repeatable).", valueName: "NAME=FILE[:field]"))
    var jsonl: [String] = []

    @Option(help: ArgumentHelp("Parallel snippets: DIR/<Language>/<id>.json, field `snippet`; the C file's `comment` is English.", valueName: "DIR"))
    var parallel: String?

    @Option(help: ArgumentHelp("Few-shot lines <language>_fewshot.txt for the logit-lens prompts (needs --parallel).", valueName: "DIR"))
    var prompts: String?

    @Option(parsing: .unconditional, help: "Parallel items (first in sorted id order) for the lens prompts.")
    var lensItems = 100

    @Option(help: "Comma-separated languages for the lens prompts (every ordered pair).")
    var lensLanguages = LanguageName.parallel.joined(separator: ",")

    @Option(parsing: .unconditional, help: "Tokens kept per layer and position by the logit lens computed at ingest.")
    var lensTop = 10

    @Option(help: ArgumentHelp("English word list of the lens's English token set, one word a line.", valueName: "FILE"))
    var words = "/usr/share/dict/words"

    @Option(help: ArgumentHelp("The paper's keywords folder for the lens's keyword token sets (default: ../shared/data/paper/keywords).", valueName: "DIR"))
    var keywords: String?

    @Option(parsing: .unconditional, help: "Tokens per document, BOS included.")
    var maxDocTokens = 4096

    @Option(parsing: .unconditional, help: "Corpus tokens per language; the document that reaches it is cut short.")
    var maxTokensPerLanguage: Int?

    @Option(parsing: .unconditional, help: "Fraction of corpus documents (by content hash) that may be held out for ablation; --held-out-tokens takes its budget from them (ingest: 0.1; bench ingest: 0).")
    var heldOut: Double?

    @Option(parsing: .unconditional, help: "Threads for the engine (default: all cores).")
    var threads: Int?

    @OptionGroup(title: "Storage") var storage: StorageArguments
    @OptionGroup(title: "Neuron activity") var activity: NeuronActivityArguments

    /// The counts IngestOptions does not check (it checks --max-doc-tokens, --held-out, --lens-items, --lens-top).
    func validate() throws {
        try OptionCheck.atLeast(1, threads, "--threads")
    }

    func options(lensStates: Bool, defaultHeldOut: Double) throws -> IngestOptions {
        var specs = try lang.map(CorpusSpec.files) + jsonl.map(CorpusSpec.jsonl)
        if let parallel { specs.append(.parallel(parallel)) }
        var o = IngestOptions(corpus: specs)
        func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path }
        o.promptsDirectory = prompts.map(absolute)
        o.lensItems = lensItems
        o.lensLanguages = try lensLanguages.split(separator: ",").map { try LanguageName.canonical(String($0), in: "--lens-languages") }
        o.maxDocTokens = maxDocTokens
        o.maxTokensPerLanguage = maxTokensPerLanguage
        o.heldOut = heldOut ?? defaultHeldOut
        o.storage = try storage.options()
        o.lensStates = lensStates
        o.lensTop = lensTop
        o.lensWords = absolute(words)
        o.lensKeywords = keywords.map(absolute)
        try activity.apply(to: &o)
        return o
    }

    /// The model, its tokenizer and the tokenizer's file.
    func load() throws -> (weights: ModelWeights, tokenizer: Tokenizer, tokenizerURL: URL) {
        let modelURL = URL(fileURLWithPath: model)
        let weights = try ModelLoader.load(modelURL)
        let tokenizerURL: URL
        if let tokenizer {
            tokenizerURL = URL(fileURLWithPath: tokenizer)
        } else if let found = TokenizerLoader.tokenizerFile(forModel: modelURL) {
            tokenizerURL = found.url
            // The choice is recorded in the file (tokenizer path); the note is for a person watching.
            if let note = found.note, isatty(2) != 0 { FileHandle.standardError.write(Data("polylens: \(note)\n".utf8)) }
        } else {
            throw ValidationError("\(model): the model names no tokenizer; give --tokenizer FILE")
        }
        return (weights, try TokenizerLoader.load(tokenizerURL), tokenizerURL)
    }
}
