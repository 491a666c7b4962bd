import ArgumentParser
import Foundation
import PolylensEngine
import PolylensModel
import PolylensTokenizer

/// `polylens generate`: prompt → continuation, printed as llama2.c's `run` prints it.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Continue a prompt (greedy by default) and print the prompt and the continuation as llama2.c does.")

    @Option(help: "Checkpoint: llama2.c .bin, GGUF, or Hugging Face directory.")
    var model: String
    @Option(help: "Tokenizer file (needed for llama2.c checkpoints; GGUF and HF directories carry their own).")
    var tokenizer: String?
    @Option(help: "The prompt.")
    var prompt = ""
    @Option(parsing: .unconditional, help: "Positions to run, prompt included (llama2.c's -n steps); stops early at BOS or EOS.")
    var maxTokens = 256
    @Option(parsing: .unconditional, help: "0 = greedy; otherwise sample from softmax(logits / T).")
    var temperature: Float = 0
    @Option(parsing: .unconditional, help: "Seed of the sampler (default: the time).")
    var seed: UInt64?
    @Option(parsing: .unconditional, help: "Threads (default: all cores).")
    var threads: Int?

    func run() throws {
        guard maxTokens >= 1 else { throw ValidationError("--max-tokens must be at least 1, got \(maxTokens)") }
        try OptionCheck.atLeast(1, threads, "--threads")
        guard temperature >= 0, temperature.isFinite else { throw ValidationError("--temperature must be ≥ 0") }
        let modelURL = URL(fileURLWithPath: model)
        let weights = try ModelLoader.load(modelURL)
        let tok = try resolveTokenizer(tokenizer, forModel: modelURL)
        let transformer = try Transformer(weights, threads: threads)
        var sampler = Sampler(temperature: temperature, seed: seed ?? UInt64(Date().timeIntervalSince1970))
        let start = Date()
        let ids = try Generator(model: transformer, tokenizer: tok).generate(prompt: prompt, steps: maxTokens,
                                                                             sampler: &sampler) { text in
            StandardOutput.write(text); fflush(stdout)
        }
        print("")
        if isatty(2) != 0 {
            let rate = Double(ids.count - 1) / Date().timeIntervalSince(start)
            FileHandle.standardError.write("achieved tok/s: \(String(format: "%.1f", rate))\n".data(using: .utf8)!)
        }
    }
}

/// `--tokenizer` when given, else the model's own; a clear error when neither exists.
func resolveTokenizer(_ path: String?, forModel modelURL: URL) throws -> Tokenizer {
    if let path { return try TokenizerLoader.load(URL(fileURLWithPath: path)) }
    guard let t = try TokenizerLoader.forModel(modelURL) else {
        throw ModelFileError(modelURL, "carries no tokenizer; name one with --tokenizer")
    }
    return t
}
