import ArgumentParser
import Foundation
import PolylensEngine
import PolylensModel

/// `polylens perplexity`: llama.cpp's llama-perplexity protocol on a text file.
struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a text file with llama.cpp's protocol (chunks of --context tokens, BOS first, second half scored).")

    enum Format: String, ExpressibleByArgument { case text, json }

    @Option(help: "Checkpoint: llama2.c .bin, GGUF, or Hugging Face directory.")
    var model: String
    @Option(help: "Tokenizer file (needed for llama2.c checkpoints).")
    var tokenizer: String?
    @Option(help: "The text file.")
    var file: String
    @Option(parsing: .unconditional, help: "Tokens per chunk.")
    var context = 512
    @Option(parsing: .unconditional, help: "Threads (default: all cores).")
    var threads: Int?
    @Option(help: "text or json.")
    var format = Format.text

    func validate() throws {
        try OptionCheck.atLeast(2, context, "--context")
        try OptionCheck.atLeast(1, threads, "--threads")
    }

    func run() throws {
        let modelURL = URL(fileURLWithPath: model), textURL = URL(fileURLWithPath: file)
        let weights = try ModelLoader.load(modelURL)
        let tok = try resolveTokenizer(tokenizer, forModel: modelURL)
        let data: Data
        do { data = try Data(contentsOf: textURL) } catch {
            throw ModelFileError(textURL, "cannot read (\(error.localizedDescription))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ModelFileError(textURL, "is not UTF-8 text") }
        let transformer = try Transformer(weights, threads: threads)
        let showProgress = isatty(2) != 0
        let result = try Perplexity.evaluate(transformer, text: text, tokenizer: tok, context: context) { done, total in
            guard showProgress else { return }
            FileHandle.standardError.write("\rchunk \(done)/\(total)".data(using: .utf8)!)
            if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        case .text:
            print(String(format: "Final estimate: PPL = %.4f +/- %.5f", result.perplexity, result.stderr))
            print(String(format: "%d tokens evaluated (%d scored) in %.2f s: %.0f tokens/s",
                         result.tokens, result.scored, result.seconds, result.tokensPerSecond))
        }
    }
}
