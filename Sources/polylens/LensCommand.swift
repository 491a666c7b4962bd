import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensIngest
import PolylensModel
import PolylensReport
import PolylensStore
import PolylensTokenizer

struct LensCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lens",
        abstract: "The logit lens over the stored few-shot translation prompts.",
        discussion: """
        p_l = softmax(W_U · RMSNorm_final(h_l)) at every stored layer (0 = embeddings) and position, with the model's
        own final norm (eps from the run's architecture) and unembedding: from the file when it holds them, else from
        the model file the run recorded (or --model), checked by sha256. Token sets: the correct next token; English
        words (tokens whose text, less one leading space, is in --words, minus the numbers 0-100 and {}()[]-+.,;");
        each language's keywords+builtins (a token is tagged when at least half of its whitespace-separated parts
        are in the list). Averages weigh every position of every prompt the same.
        table: per layer the averages, then the top-k tokens per layer at each position of one prompt (--item).
        csv: the per-layer averages. json: the averages and every prompt's top-k tokens per layer and position.
        """)

    @OptionGroup var options: AnalysisFileOptions
    @OptionGroup var progress: ProgressOptions
    @Option(help: "Source language of the prompts.") var source: String
    @Option(help: "Target language of the prompts.") var target: String
    @Option(help: "Tokens kept per layer and position.") var top = 10
    @Option(help: "The model, when the file does not hold the unembedding (default: the path the run recorded).") var model: String?
    @Option(help: "The tokenizer (default: the path the run recorded).") var tokenizer: String?
    @Option(help: "English word list, one word a line.") var words = WordLists.defaultEnglish.path
    @Option(help: "The paper's keywords folder (default: ../shared/data/paper/keywords).") var keywords: String?
    @Option(help: "The prompt (item key) whose top tokens the table shows (default: the first).") var item: String?

    struct JSONToken: Encodable { var id: Int32; var piece: String; var probability: Float }
    struct JSONReading: Encodable { var position: Int; var next: String; var layers: [[JSONToken]]; var correctRank: [Int] }
    struct JSONPrompt: Encodable { var item: String; var positions: [JSONReading] }
    struct JSONLayer: Encodable {
        var layer: Int, positions: Int, correctProbability: Double, correctInTopK: Double, meanCorrectRank: Double, entropy: Double
        var setMass: [String: Double], setInTopK: [String: Double]
    }
    struct JSONResult: Encodable {
        var source: String, target: String, topK: Int, prompts: Int, unembeddingFrom: String
        var tokenSets: [String: Int], languagesWithoutKeywords: [String], layers: [JSONLayer], readings: [JSONPrompt]
    }

    func run() throws {
        let (file, run) = try options.open()
        guard let info = try file.runs().first(where: { $0.id == run })?.info else { throw CLIError("\(options.file): no run \(run)") }
        let prompts = try file.lensPrompts(run: run).filter {
            $0.source.caseInsensitiveCompare(source) == .orderedSame && $0.target.caseInsensitiveCompare(target) == .orderedSame
        }
        guard let first = prompts.first else {
            let pairs = Set(try file.lensPrompts(run: run).map { "\($0.source)→\($0.target)" }).sorted()
            throw CLIError("\(options.file): no lens prompts \(source)→\(target) (it holds: \(pairs.isEmpty ? "none" : pairs.joined(separator: ", ")))")
        }
        let (u, from) = try LensInputs.unembedding(file, run: run, info: info, model: model)
        let tok = try LensInputs.tokenizer(info, path: tokenizer)
        let texts = (0..<u.vocab).map { $0 < tok.vocabSize ? tok.decode([$0]) : "" }
        let pieces = (0..<u.vocab).map { $0 < tok.vocabSize ? tok.piece($0) : "<\($0)>" }
        var sets = [TokenSet.english(texts: texts, words: try WordLists.english(URL(fileURLWithPath: words)))]
        let keywordDir = keywords.map { URL(fileURLWithPath: $0) } ?? SharedFiles.url("data/paper/keywords")
        var languages: [String] = []
        for l in [first.source, first.target] + (try file.languages(run: run)) where !languages.contains(l) && l != "English" {
            languages.append(l)
        }
        let keywordSets = try WordLists.keywordSets(for: languages, in: keywordDir, texts: texts)
        sets += keywordSets.sets
        let missingKeywords = keywordSets.missing.isEmpty ? nil
            : "no keyword list for \(keywordSets.missing.joined(separator: ", ")) in \(keywordDir.path): no keyword token set for \(keywordSets.missing.count == 1 ? "it" : "them")"
        if let missingKeywords { FileHandle.standardError.write(Data("polylens: lens: \(missingKeywords)\n".utf8)) }
        let printer = progress.printer()
        defer { printer?.finish() }
        let meter = ProgressMeter(task: "lens \(first.source)→\(first.target)", unit: "prompts", total: prompts.count) { printer?.update($0) }
        let r = try LogitLens.run(prompts, unembedding: u, sets: sets, topK: top) { meter.advance(by: 1) }
        printer?.finish()
        let names = sets.map(\.name)

        switch options.format {
        case .json:
            try AnalysisOutput.writeJSON(JSONResult(
                source: first.source, target: first.target, topK: top, prompts: prompts.count, unembeddingFrom: from,
                tokenSets: Dictionary(uniqueKeysWithValues: sets.map { ($0.name, $0.ids.count) }), languagesWithoutKeywords: keywordSets.missing,
                layers: r.layers.map { s in
                    JSONLayer(layer: s.layer, positions: s.positions, correctProbability: s.correctProbability,
                              correctInTopK: s.correctInTopK, meanCorrectRank: s.meanCorrectRank, entropy: s.entropy,
                              setMass: Dictionary(uniqueKeysWithValues: zip(names, s.setMass)),
                              setInTopK: Dictionary(uniqueKeysWithValues: zip(names, s.setInTopK)))
                },
                readings: zip(prompts, r.readings).map { p, layers in
                    JSONPrompt(item: p.itemKey, positions: (0..<p.positions).map { pos in
                        JSONReading(position: p.firstPosition + pos, next: pieces[Int(p.tokens[p.firstPosition + pos + 1])],
                                    layers: layers.map { $0[pos].top.map { JSONToken(id: $0.id, piece: pieces[Int($0.id)], probability: $0.probability) } },
                                    correctRank: layers.map { $0[pos].correctRank })
                    })
                }))
        case .csv, .table:
            var t = TextTable(["layer", "positions", "p_correct", "correct_in_top\(top)", "mean_rank", "entropy"]
                              + names.map { "mass_\($0)" } + names.map { "top\(top)_\($0)" })
            for s in r.layers {
                t.add(["\(s.layer)", "\(s.positions)"] + [s.correctProbability, s.correctInTopK, s.meanCorrectRank, s.entropy].map { AnalysisOutput.number($0) }
                      + (s.setMass + s.setInTopK).map { AnalysisOutput.number($0) })
            }
            guard options.format == .table else { AnalysisOutput.write(t.text(format: .csv)); break }
            var out = "Logit lens \(first.source)→\(first.target): \(prompts.count) prompts, \(r.layers.first?.positions ?? 0) positions, unembedding from \(from)\n"
            out += "Token sets: " + sets.map { "\($0.name) \($0.ids.count) tokens" }.joined(separator: ", ") + "\n"
            if let missingKeywords { out += "Note: \(missingKeywords)\n" }
            out += "\n" + t.text(format: .table)
            let shown = try item.map { key in
                guard let i = prompts.firstIndex(where: { $0.itemKey == key }) else { throw CLIError("--item \(key): no such prompt \(first.source)→\(first.target)") }
                return i
            } ?? 0
            let p = prompts[shown]
            out += "\nTop \(top) tokens of prompt \(p.itemKey) (position: next token; per layer)\n"
            for pos in 0..<p.positions {
                out += "position \(p.firstPosition + pos) → \(pieces[Int(p.tokens[p.firstPosition + pos + 1])].debugDescription)\n"
                for (l, layer) in r.readings[shown].enumerated() {
                    out += "  \(l): " + layer[pos].top.map { "\(pieces[Int($0.id)].debugDescription) \(AnalysisOutput.number(Double($0.probability), 3))" }.joined(separator: ", ") + "\n"
                }
            }
            AnalysisOutput.write(out)
        }
        if let path = options.plot {
            let mass = LineChart(
                title: "Logit lens \(first.source)→\(first.target)", description: "Mean probability of the correct next token and of each token set, per layer.",
                xLabel: AxisLabel("layer"), yLabel: AxisLabel("probability", unit: "mean over positions"),
                series: [LineChart.Series(name: "correct token", values: r.layers.map(\.correctProbability))]
                    + names.indices.map { k in LineChart.Series(name: names[k], values: r.layers.map { $0.setMass[k] }) },
                yRange: 0...1)
            let membership = LineChart(
                title: "Top-\(top) membership \(first.source)→\(first.target)", description: "Fraction of positions whose top-\(top) tokens include the correct token or a token of each set.",
                xLabel: AxisLabel("layer"), yLabel: AxisLabel("fraction of positions"),
                series: [LineChart.Series(name: "correct token", values: r.layers.map(\.correctInTopK))]
                    + names.indices.map { k in LineChart.Series(name: names[k], values: r.layers.map { $0.setInTopK[k] }) },
                yRange: 0...1)
            let entropy = LineChart(
                title: "Entropy \(first.source)→\(first.target)", description: "Mean entropy of the lens distribution per layer.",
                xLabel: AxisLabel("layer"), yLabel: AxisLabel("entropy", unit: "nats"),
                series: [LineChart.Series(name: "entropy", values: r.layers.map(\.entropy))])
            try AnalysisOutput.writeSVG([mass.svg, membership.svg, entropy.svg], to: path)
        }
    }
}
