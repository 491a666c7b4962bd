import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensEngine
import PolylensModel
import PolylensReport
import PolylensStore
import PolylensTokenizer

struct LensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lens",
        abstract: "The logit lens over the stored few-shot translation prompts, one pair or all of them.",
        discussion: """
        Answers from the lens results ingest stored (p_l = softmax(W_U · RMSNorm_final(h_l)) at every layer, 0 = \
        embeddings, and every position that predicts the target snippet; top-k, the correct next token's probability \
        and rank, entropy, each stored token set's mass), with no model. Files without them (schema 1, or --recompute \
        with other token sets) are decoded from their stored states with the unembedding in the file or the model the \
        run recorded (or --model), checked by sha256. \
        Without --source/--target every stored pair is averaged; either alone filters. Token sets by role: English \
        words, the prompt's target language's and source language's keywords+builtins. Each prompt's positions are \
        averaged, then every prompt weighs the same; probabilities carry a 95% percentile-bootstrap interval over \
        prompts. table: the average per layer (and with one pair, the top tokens of one prompt, --item). csv: per \
        pair and layer, plus the average over all pairs (source and target `all`). json: the same, the token sets \
        with their ids, and with one pair every prompt's top-k tokens per layer and position.
        """)

    @OptionGroup var options: AnalysisFileOptions
    @OptionGroup var progress: ProgressOptions
    @Option(help: "Source language of the prompts (default: every source).") var source: String?
    @Option(help: "Target language of the prompts (default: every target).") var target: String?
    @Option(parsing: .unconditional, help: "Tokens kept per layer and position (default: as stored; at most what ingest kept).") var top: Int?
    @Flag(help: "Decode the stored states again (needs --lens-states at ingest), e.g. with other token sets.") var recompute = false
    @Option(help: "The model, when recomputing and the file does not hold the unembedding (default: the path the run recorded).") var model: String?
    @Option(help: "The tokenizer (default: the path the run recorded).") var tokenizer: String?
    @Option(help: "English word list, one word a line (when recomputing).") var words = WordLists.defaultEnglish.path
    @Option(help: "The paper's keywords folder (when recomputing; default: ../shared/data/paper/keywords).") var keywords: String?
    @Option(help: "The prompt (item key) whose top tokens the table shows (default: the first).") var item: String?

    func validate() throws {
        if let top, top < 1 { throw ValidationError("--top must be at least 1, got \(top)") }
    }

    func run() throws { try options.namingFile(analyse) }

    private func analyse() throws {
        let (file, run) = try options.open()
        let printer = progress.printer()
        defer { printer?.finish() }
        let lens = try LensSource.load(file, run: run, options: options, source: source, target: target, recompute: recompute, top: top, model: model,
                                       tokenizer: tokenizer, words: words, keywords: keywords) { total in
            ProgressMeter(task: "lens", unit: "prompts", total: total) { printer?.update($0) }
        }
        printer?.finish()
        if let note = lens.missingKeywordsNote { FileHandle.standardError.write(Data("polylens: lens: \(note)\n".utf8)) }
        let results = try select(lens.results, file: options.file)
        let summary = try LensSummary.of(results, sets: lens.sets)
        let pairs = summary.pairs.count > 1 ? try summary.pairs.map { p in
            (p, try LensSummary.of(results.filter { $0.source == p.source && $0.target == p.target }, sets: lens.sets))
        } : [(summary.pairs[0], summary)]
        let pieces = try? LensInputs.tokenizer(try runInfo(file, run), path: tokenizer)
        switch options.format {
        case .json: try writeJSON(summary, pairs, results, lens, pieces)
        case .csv: AnalysisOutput.write(LensTables.csv(summary, pairs: pairs))
        case .table: AnalysisOutput.write(try tableText(summary, results, lens, pieces))
        }
        if let path = options.plot { try AnalysisOutput.writeSVG(LensTables.charts(summary, title: title(summary)), to: path) }
    }

    private func runInfo(_ file: PolylensFile, _ run: Int64) throws -> RunInfo {
        guard let info = try file.runs().first(where: { $0.id == run })?.info else { throw CLIError("\(options.file): no run \(run)") }
        return info
    }

    /// The prompts of the pairs asked for (names without case).
    private func select(_ all: [LensPromptResult], file: String) throws -> [LensPromptResult] {
        let chosen = all.filter { r in
            (source.map { r.source.caseInsensitiveCompare($0) == .orderedSame } ?? true)
                && (target.map { r.target.caseInsensitiveCompare($0) == .orderedSame } ?? true)
        }
        guard !chosen.isEmpty else {
            let pairs = Set(all.map { "\($0.source)→\($0.target)" }).sorted()
            throw CLIError("\(file): no lens prompts \(source ?? "*")→\(target ?? "*") (it holds: \(pairs.isEmpty ? "none" : pairs.joined(separator: ", ")))")
        }
        return chosen
    }

    private func title(_ s: LensSummary) -> String {
        s.pairs.count == 1 ? "\(s.pairs[0].source)→\(s.pairs[0].target)" : "all \(s.pairs.count) pairs"
    }

    private func tableText(_ s: LensSummary, _ results: [LensPromptResult], _ lens: LensSource, _ tok: Tokenizer?) throws -> String {
        var out = "Logit lens \(title(s)): \(s.prompts) prompts, \(s.layers.first?.positions ?? 0) positions\n"
        out += "Read from \(lens.from)\n"
        out += wrapped("Token sets (tokens):", lens.sets.map { "\($0.name) \($0.ids.count)" })
        if let note = lens.missingKeywordsNote { out += "Note: \(note)\n" }
        out += "Each prompt's positions averaged, then the prompts.\n95% CI: \(s.intervalMethod)\n\n"
        out += LensTables.table(s).text(format: .table)
        guard s.pairs.count == 1 else { return out }
        let shown = try item.map { key in
            guard let i = results.firstIndex(where: { $0.itemKey == key }) else { throw CLIError("--item \(key): no such prompt \(title(s))") }
            return i
        } ?? 0
        let r = results[shown], k = r.columns.topK
        func piece(_ id: Int32) -> String { (tok?.piece(Int(id)) ?? "#\(id)").debugDescription }
        out += "\nTop \(k) tokens of prompt \(r.itemKey) per position and layer (as many as fit; json: all)\n"
        for pos in 0..<r.positions {
            out += "position \(r.firstPosition + pos) → \(piece(r.next[pos]))\n"
            for l in 0..<r.layers {
                let row = r.row(layer: l, position: pos)
                out += fitted("  \(LensTables.layerName(l)):", (0..<k).map { j in
                    "\(piece(r.columns.topIds[row * k + j])) \(AnalysisOutput.number(Double(r.columns.topProbabilities[row * k + j]), 3))"
                })
            }
        }
        return out
    }

    /// `head` and as many of `items` (best first) as fit in `width` columns, on one line.
    private func fitted(_ head: String, _ items: [String], width: Int = 100) -> String {
        var line = head
        for (i, item) in items.enumerated() {
            let piece = (i == 0 ? " " : ", ") + item
            if line.count + piece.count > width { break }
            line += piece
        }
        return line + "\n"
    }

    /// `items` after `head`, comma-separated, in lines that fit the 100-column table.
    private func wrapped(_ head: String, _ items: [String], width: Int = 96) -> String {
        var lines = [head]
        for (i, item) in items.enumerated() {
            let piece = " " + item + (i < items.count - 1 ? "," : "")
            if lines[lines.count - 1].count + piece.count > width { lines.append(" ") }
            lines[lines.count - 1] += piece
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func writeJSON(_ s: LensSummary, _ pairs: [(LensPair, LensSummary)], _ results: [LensPromptResult],
                           _ lens: LensSource, _ tok: Tokenizer?) throws {
        struct Token: Encodable { var id: Int32; var piece: String?; var probability: Float }
        struct Position: Encodable { var position: Int; var next: Int32; var layers: [[Token]]; var correctRank: [Int32] }
        struct Prompt: Encodable { var item: String; var positions: [Position] }
        struct SetInfo: Encodable { var name, kind: String; var language: String?; var source: String; var count: Int; var tokenIds: [Int32] }
        struct Pair: Encodable { var source, target: String; var prompts: Int; var layers: [LensTables.Layer] }
        struct Result: Encodable {
            var source, target: String?
            var topK, prompts: Int
            var lensFrom, intervalMethod: String
            var tokenSets: [SetInfo]
            var languagesWithoutKeywords: [String]
            var layers: [LensTables.Layer]
            var pairs: [Pair]
            var readings: [Prompt]?
        }
        let readings: [Prompt]? = s.pairs.count == 1 ? results.map { r in
            Prompt(item: r.itemKey, positions: (0..<r.positions).map { pos in
                Position(position: r.firstPosition + pos, next: r.next[pos], layers: (0..<r.layers).map { l in
                    let row = r.row(layer: l, position: pos)
                    return r.top(row).enumerated().map { j, id in
                        Token(id: id, piece: tok?.piece(Int(id)), probability: r.columns.topProbabilities[row * r.columns.topK + j])
                    }
                }, correctRank: (0..<r.layers).map { r.columns.correctRank[r.row(layer: $0, position: pos)] })
            })
        } : nil
        try AnalysisOutput.writeJSON(Result(
            source: s.pairs.count == 1 ? s.pairs[0].source : source, target: s.pairs.count == 1 ? s.pairs[0].target : target,
            topK: s.topK, prompts: s.prompts, lensFrom: lens.from, intervalMethod: s.intervalMethod,
            tokenSets: lens.sets.map { SetInfo(name: $0.name, kind: $0.kind, language: $0.language, source: $0.source, count: $0.ids.count, tokenIds: $0.ids) },
            languagesWithoutKeywords: lens.languagesWithoutKeywords,
            layers: LensTables.layers(s),
            pairs: pairs.map { Pair(source: $0.0.source, target: $0.0.target, prompts: $0.1.prompts, layers: LensTables.layers($0.1)) },
            readings: readings), keys: .convertToSnakeCase)
    }
}
