import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensStore
import PolylensTokenizer

/// `polylens neuron FILE L:N`: what one neuron responds to, from the file alone.
struct NeuronCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "neuron",
        abstract: "What makes a neuron fire: activation rate, quantiles and histogram per language, and its top contexts.",
        discussion: """
        a = SiLU(gate_proj · x) of MLP neuron N in layer L (0-based), over the tokens ingest counted. Per language:
        tokens, rate of a > 0 (LAPE's P), mean, max, quantiles p50/p90/p99/p99.9 read from the activation histogram
        (interpolated inside the bin that holds the rank) and the histogram as a sparkline over the 40 fixed bins
        (left: a ≤ −0.25, the bar after the 12th character starts a > 0, right: a ≥ 64). Then the top contexts over all
        languages and per language, decoded with the firing token in ⟦ ⟧ (newlines as ⏎). json: everything, snake_case.
        """)

    @OptionGroup var options: AnalysisFileOptions
    @Argument(help: ArgumentHelp("The neuron, layer:index (e.g. 3:417).", valueName: "L:N")) var neuron: String
    @Option(help: "Only this language.") var language: String?
    @Option(help: "The tokenizer to decode contexts with (default: the one the run recorded, checked by sha256).") var tokenizer: String?
    @Option(parsing: .unconditional, help: "Contexts shown per list.") var contexts = 8

    func validate() throws {
        _ = try ref()
        if contexts < 0 { throw ValidationError("--contexts must not be negative") }
    }

    func ref() throws -> NeuronRef {
        let parts = neuron.split(separator: ":").map { Int($0) }
        guard parts.count == 2, let l = parts[0], let n = parts[1], l >= 0, n >= 0 else {
            throw CLIError("the neuron must be LAYER:INDEX, e.g. 3:417, got '\(neuron)'")
        }
        return NeuronRef(layer: l, neuron: n)
    }

    func run() throws { try options.namingFile(analyse) }

    private func analyse() throws {
        let (file, run) = try options.open()
        let language = try LanguageSelection.resolve(self.language, available: try file.languages(run: run), file: options.file)?.first
        let profile = try NeuronProfile(file: file, run: run, neuron: try ref(), language: language)
        let info = try file.runs().first { $0.id == run }!.info
        let decoder = try ContextDecoder(tokenizer: tokenizer, info: info)
        switch options.format {
        case .json: try AnalysisOutput.writeJSON(NeuronJSON(profile, decoder: decoder, limit: contexts))
        case .csv: AnalysisOutput.write(languageTable(profile).text(format: .csv))
        case .table: AnalysisOutput.write(text(profile, decoder: decoder))
        }
    }

    private func languageTable(_ p: NeuronProfile) -> TextTable {
        var t = TextTable(["language", "tokens", "active", "rate", "mean", "max", "p50", "p90", "p99", "p99_9"])
        for l in p.languages {
            t.add([l.language, "\(l.tokens)", "\(l.active)", AnalysisOutput.number(l.rate), AnalysisOutput.number(l.mean),
                   AnalysisOutput.number(Double(l.max))] + (l.quantiles ?? [.nan, .nan, .nan, .nan]).map { AnalysisOutput.number(Double($0)) })
        }
        return t
    }

    private func text(_ p: NeuronProfile, decoder: ContextDecoder) -> String {
        var out = "neuron \(p.neuron.layer):\(p.neuron.neuron), a = SiLU(gate_proj · x)\n\n" + languageTable(p).text(format: .table)
        if p.languages.contains(where: { !$0.histogram.isEmpty }) {
            out += "\nhistogram (40 bins: ≤−0.25 … 0 | >0 … ≥64, height ∝ log count)\n"
            for l in p.languages where !l.histogram.isEmpty {
                let line = NeuronProfile.sparkline(l.histogram)
                let cut = line.index(line.startIndex, offsetBy: ActivationBins.firstPositive)
                out += "  \(l.language.padding(toLength: 12, withPad: " ", startingAt: 0)) ▕\(line[..<cut])│\(line[cut...])▏\n"
            }
        }
        func list(_ title: String, _ contexts: [NeuronProfile.Context]) {
            guard !contexts.isEmpty else { return }
            out += "\n\(title)\n"
            for c in contexts.prefix(self.contexts) {
                out += "  \(AnalysisOutput.number(Double(c.value), 3))  \(c.language)  \(decoder.text(c))\n"
                out += "         \(c.source)\(c.itemKey.map { " (item \($0))" } ?? "") position \(c.position)\n"
            }
        }
        list("top contexts, all languages", p.contexts)
        for l in p.languages { list("top contexts, \(l.language)", p.contextsByLanguage[l.language] ?? []) }
        if p.contexts.isEmpty && p.contextsByLanguage.values.allSatisfy(\.isEmpty) {
            out += "\n(no contexts in this file: ingest with --top-contexts N)\n"
        }
        return out
    }
}

/// Decodes context windows with the run's tokenizer; without one, shows the token ids.
struct ContextDecoder {
    let tokenizer: Tokenizer?

    init(tokenizer path: String?, info: RunInfo) throws {
        if path != nil || FileManager.default.fileExists(atPath: info.tokenizerPath) {
            tokenizer = try LensInputs.tokenizer(info, path: path)
        } else {
            FileHandle.standardError.write(Data("polylens: \(info.tokenizerPath): the run's tokenizer is not here; contexts are shown as token ids (give --tokenizer)\n".utf8))
            tokenizer = nil
        }
    }

    /// The window with the firing token in ⟦ ⟧, on one line.
    func text(_ c: NeuronProfile.Context) -> String {
        let p = ContextText.parts(c.tokens, firing: c.firing, tokenizer: tokenizer)
        return tokenizer == nil ? "\(p.before) ⟦\(p.token)⟧ \(p.after)" : p.before + "⟦" + p.token + "⟧" + p.after
    }

    func tokenText(_ c: NeuronProfile.Context) -> String? { tokenizer.map { $0.piece(Int(c.tokens[c.firing])) } }
}

/// `--format json` of `polylens neuron`.
struct NeuronJSON: Encodable {
    struct Language: Encodable {
        var language: String, tokens: Int64, active: Int64, rate: Double, mean: Double, max: Float
        var quantiles: [String: Float]?, histogram: [Int64]
    }
    struct Context: Encodable {
        var value: Float, language: String, source: String, itemKey: String?, position: Int
        var tokenIds: [Int32], firingIndex: Int, firingToken: String?, text: String
    }
    var layer: Int, neuron: Int
    var binEdges: [Float]
    var languages: [Language]
    var contexts: [Context]
    var contextsByLanguage: [String: [Context]]

    init(_ p: NeuronProfile, decoder: ContextDecoder, limit: Int) {
        layer = p.neuron.layer; neuron = p.neuron.neuron
        binEdges = ActivationBins.edges
        languages = p.languages.map { l in
            Language(language: l.language, tokens: l.tokens, active: l.active, rate: l.rate, mean: l.mean, max: l.max,
                     quantiles: l.quantiles.map { Dictionary(uniqueKeysWithValues: zip(["p50", "p90", "p99", "p99_9"], $0)) },
                     histogram: l.histogram)
        }
        let convert = { (c: NeuronProfile.Context) in
            Context(value: c.value, language: c.language, source: c.source, itemKey: c.itemKey, position: c.position,
                    tokenIds: c.tokens, firingIndex: c.firing, firingToken: decoder.tokenText(c), text: decoder.text(c))
        }
        contexts = p.contexts.prefix(limit).map(convert)
        contextsByLanguage = p.contextsByLanguage.mapValues { $0.prefix(limit).map(convert) }
    }

    enum CodingKeys: String, CodingKey {
        case layer, neuron, binEdges = "bin_edges", languages, contexts, contextsByLanguage = "contexts_by_language"
    }
}

extension NeuronJSON.Language {
    enum CodingKeys: String, CodingKey { case language, tokens, active, rate, mean, max, quantiles, histogram }
}

extension NeuronJSON.Context {
    enum CodingKeys: String, CodingKey {
        case value, language, source, itemKey = "item_key", position, tokenIds = "token_ids", firingIndex = "firing_index"
        case firingToken = "firing_token", text
    }
}
