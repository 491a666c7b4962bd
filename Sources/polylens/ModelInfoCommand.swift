import ArgumentParser
import Foundation
import PolylensModel

/// `polylens model-info PATH`: what a checkpoint is, read the same way the engine reads it.
struct ModelInfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-info",
        abstract: "Show a checkpoint's format, architecture numbers, dtypes and parameter count.",
        discussion: "PATH is a llama2.c .bin, a GGUF file, or a Hugging Face directory (or its config.json / .safetensors).")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "The model file or directory.")
    var path: String

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func run() throws {
        let summary: ModelSummary
        do {
            summary = try ModelSummary(try ModelLoader.load(URL(fileURLWithPath: path)), path: path)
        } catch let e as ModelFileError {
            FileHandle.standardError.write(Data("polylens model-info: \(e)\n".utf8))
            throw ExitCode.failure
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        case .text:
            print(Self.text(summary).terminalSafe)
        }
    }

    static func text(_ s: ModelSummary) -> String {
        let c = s.config
        let layout = c.ropeStyle == .halves ? "rotate-half (HF q/k row order)" : "interleaved pairs"
        var rope = "theta \(String(format: "%g", c.ropeTheta)), \(layout)"
        if let x = c.ropeScaling {
            rope += ", llama3 scaling: factor \(x.factor), low \(x.lowFreqFactor), high \(x.highFreqFactor), "
                + "original context \(x.originalMaxPositions)"
        }
        let dtypes = s.dtypes.map { "\($0.rawValue) \(grouped(s.parametersByDType[$0] ?? 0))" }.joined(separator: ", ")
        let rows: [(String, String)] = [
            ("path", s.path),
            ("format", s.format),
            ("layers", "\(c.nLayers)"),
            ("dim", "\(c.dim)"),
            ("mlp dim", "\(c.hiddenDim)"),
            ("heads", "\(c.nHeads) query, \(c.nKVHeads) key/value, head dim \(c.headDim)"),
            ("vocab", "\(c.vocabSize)"),
            ("context", "\(c.maxPositions)"),
            ("norm eps", "\(c.normEps)"),
            ("rope", rope),
            ("output", c.tiedEmbeddings ? "tied to the embedding" : "separate matrix"),
            ("bos / eos", "\(c.bosId.map(String.init) ?? "none") / \(c.eosId.map(String.init) ?? "none")"),
            ("dtype", dtypes),
            ("parameters", grouped(s.parameters)),
            ("file bytes", grouped(s.fileBytes)),
        ]
        return rows.map { $0.0.padding(toLength: 12, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }

    /// 2410176 → "2,410,176".
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        return String(digits.enumerated().flatMap { i, d in (i > 0 && (digits.count - i) % 3 == 0) ? [",", d] : [d] })
    }
}
