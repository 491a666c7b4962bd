import ArgumentParser
import Foundation
import PolylensModel
import PolylensTokenizer

/// `polylens tokenize`: text to ids (or back) with any tokenizer Polylens reads, one JSON value per line.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize JSON strings from stdin (one per line) into JSON arrays of ids, or decode them back.",
        discussion: """
            The ids are those of the reference library's encode (SentencePiece for SPM models, with the dummy \
            prefix; tiktoken for Llama 3). --tokenizer takes a tokenizer file (SentencePiece .model, tiktoken \
            ranks, tokenizer.json, GGUF, llama2.c tokenizer.bin; recognised from the content), a model directory \
            (tokenizer.model is preferred over tokenizer.json) or a GGUF model.
            """)

    @Option(name: .long, help: "Tokenizer file, model directory or GGUF model.")
    var tokenizer: String

    @Flag(name: .customLong("add-bos"), help: "Start every sequence with the BOS token.")
    var addBOS = false

    @Flag(help: "Decode: read JSON arrays of ids, write JSON strings.")
    var decode = false

    @Flag(name: .customLong("parse-special"), help: "Text such as <s> or <|begin_of_text|> becomes its special token.")
    var parseSpecial = false

    func run() throws {
        let url = URL(fileURLWithPath: tokenizer)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue,
           let note = TokenizerLoader.tokenizerFile(forModel: url)?.note {
            FileHandle.standardError.write(Data("polylens: \(note)\n".utf8))
        }
        let tok = try TokenizerLoader.load(url)
        let decoder = JSONDecoder()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var lineNumber = 0
        let input = StdinLines()
        while let raw = input.next() {
            lineNumber += 1
            // readLine would replace invalid UTF-8 with U+FFFD and tokenize text the user never gave.
            guard let line = String(validating: raw, as: UTF8.self) else {
                throw CLIError("stdin line \(lineNumber): not valid UTF-8")
            }
            let data = Data(line.utf8)
            if decode {
                guard let ids = try? decoder.decode([Int].self, from: data) else {
                    throw CLIError("stdin line \(lineNumber): not a JSON array of integers")
                }
                if let bad = ids.first(where: { $0 < 0 || $0 >= tok.vocabSize }) {
                    throw CLIError("stdin line \(lineNumber): id \(bad) is outside the vocabulary of \(tok.vocabSize)")
                }
                StandardOutput.write(try encoder.encode(tok.decode(ids)))
            } else {
                guard let text = try? decoder.decode(String.self, from: data) else {
                    throw CLIError("stdin line \(lineNumber): not a JSON string")
                }
                let ids = tok.encode(text, addBOS: addBOS, parseSpecial: parseSpecial)
                StandardOutput.write("[" + ids.map(String.init).joined(separator: ",") + "]")
            }
            StandardOutput.write("\n")
        }
    }
}
