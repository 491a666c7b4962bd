import ArgumentParser
import Foundation
import PolylensStore

struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "Show a Polylens file's runs, model, languages, documents, tokens and sizes.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "A Polylens file.") var file: String
    @Option(help: "text or json.") var format: Format = .text

    func run() throws {
        let info = try PolylensFile.open(URL(fileURLWithPath: file)).info()
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(info), as: UTF8.self))
        case .text:
            print(text(info))
        }
    }

    private func text(_ info: FileInfo) -> String {
        var lines = ["\(info.path): schema version \(info.schemaVersion), \(bytes(info.fileBytes))"]
        for r in info.runs {
            lines.append("run \(r.id): \(r.modelFormat) model \(r.modelPath) (sha256 \(r.modelSHA256.prefix(16))…), Polylens \(r.polylensVersion)")
            lines.append("  tokenizer \(r.tokenizerPath) (sha256 \(r.tokenizerSHA256.prefix(16))…)")
            lines.append("  architecture \(r.architecture)")
            lines.append("  parameters \(r.parameters)")
            lines.append("  created \(r.createdAt), updated \(r.updatedAt)")
            lines.append("  language        documents     tokens  held-out docs  held-out tokens        bytes")
            for l in r.languages {
                lines.append("  " + [pad(l.language, 12, left: true), pad("\(l.documents)", 12), pad("\(l.tokens)", 10),
                                     pad("\(l.heldOutDocuments)", 14), pad("\(l.heldOutTokens)", 16), pad("\(l.bytes)", 12)].joined(separator: " "))
            }
            lines.append("  lens prompts \(r.lensPrompts), language states \(r.languageStates), unembedding \(r.hasUnembedding ? "stored" : "not stored"), neuron sets \(r.neuronSets.isEmpty ? "none" : r.neuronSets.joined(separator: ", ")), ablation results \(r.ablationResults)")
        }
        if let s = info.shard {
            lines.append("shard \(s.shard)/\(s.shardCount) of plan \(s.planSHA256.prefix(16))…: \(s.plannedDocuments) planned documents, \(s.plannedPrompts) planned prompts, \(s.tokens) tokens to compute")
        }
        for e in info.shardResults {
            lines.append("shard \(e.shard)/\(e.shardCount) computed by \(e.engine) \(e.engineVersion) on \(e.device) in \(e.dtype): \(e.tokens) tokens in \(String(format: "%.1f", e.seconds)) s (\(e.finishedAt))")
        }
        lines.append("table                    rows     blobs        stored           raw   ratio")
        for t in info.tables {
            lines.append([pad(t.table, 18, left: true), pad("\(t.rows)", 10), pad("\(t.blobs)", 9), pad(bytes(t.storedBytes), 13),
                          pad(bytes(t.rawBytes), 13), pad(String(format: "%.2f", t.compressionRatio), 7)].joined(separator: " "))
        }
        lines.append("blobs: \(bytes(info.blobStoredBytes)) stored for \(bytes(info.blobRawBytes)) raw, LZ4 ratio \(String(format: "%.2f", info.compressionRatio))")
        return lines.joined(separator: "\n")
    }

    private func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return left ? s + fill : fill + s
    }

    private func bytes(_ n: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(n), u = 0
        while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
        return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
    }
}
