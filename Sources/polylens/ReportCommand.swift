import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensModel
import PolylensReport
import PolylensStore
import PolylensTokenizer

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the whole study as one self-contained HTML page: provenance, logit lens, MEXA, LAPE, ablation.",
        discussion: """
            Every analysis runs with its defaults (METHODS.md); sections the file has no data for say so. The logit \
            lens reads the results ingest stored (no model; the recorded tokenizer, or --tokenizer, only for token \
            texts). Files without them are decoded from their stored states as `polylens lens` does: with the \
            unembedding stored in the file, else with the model the run recorded (or --model), checked by sha256.
            """)

    @Argument(help: "A Polylens file.") var file: String
    @OptionGroup var progress: ProgressOptions
    @Option(help: "Where to write the report.") var out = "report.html"
    @Option(name: .customLong("run"), parsing: .unconditional, help: "The run to report (needed when the file holds several).") var runID: Int64?
    @Option(help: "The model for the logit lens, when the file does not hold the unembedding (default: the one recorded).")
    var model: String?
    @Option(help: "The tokenizer for the lens's token texts (default: the one recorded).") var tokenizer: String?
    @Option(help: ArgumentHelp("The paper's keywords folder (default: ../shared/data/paper/keywords).", valueName: "DIR"))
    var keywords: String?
    @Option(help: ArgumentHelp("English word list, one a line.", valueName: "FILE")) var words = WordLists.defaultEnglish.path
    @Option(parsing: .unconditional, help: "LAPE: neurons per language (the paper's selection).") var perLanguage = 400
    @Option(parsing: .unconditional, help: "LAPE: the original top-rate selection instead (e.g. 0.01).") var topRate: Double?
    @Option(parsing: .unconditional, help: "LAPE: quantile of the activation probabilities that gives τ.") var quantile = 0.95
    @Option(parsing: .unconditional, help: "MEXA: parallel items per language.") var items = 100
    @Option(help: "MEXA: pooling, weighted or last.") var pooling = "weighted"
    @Flag(help: "MEXA: include the self-pair in the pivot averages (as the paper does).") var includeSelf = false
    @Option(help: ArgumentHelp("MEXA: layers drawn as heatmaps, comma-separated (default: first, middle, last).", valueName: "L,L,…"))
    var mexaLayers: String?
    @Option(help: ArgumentHelp("Lens: layers whose top tokens are listed (default: five evenly spaced).", valueName: "L,L,…"))
    var lensLayers: String?
    @Option(parsing: .unconditional, help: "Lens: top tokens listed per layer.") var top = 5
    @Option(parsing: .unconditional, help: "Lens: prompts decoded per pair (default: all; e.g. 10 for a 7B model, whose lens costs minutes per pair).")
    var lensPrompts: Int?
    @Option(parsing: .unconditional, help: ArgumentHelp("Ablation: the run shown (default: the newest; `polylens results` lists them).", valueName: "ID"))
    var ablation: Int64?

    func validate() throws {
        try OutputPath.refuse(out, option: "--out", ifAnyOf: [file] + [model, tokenizer, keywords, words].compactMap { $0 })
        guard perLanguage >= 1 else { throw ValidationError("--per-language must be ≥ 1, got \(perLanguage)") }
        if let topRate, !(topRate > 0 && topRate <= 1) { throw ValidationError("--top-rate must be in (0, 1], got \(topRate)") }
        guard quantile > 0, quantile <= 1 else { throw ValidationError("--quantile must be in (0, 1], got \(quantile)") }
        guard items >= 2 else { throw ValidationError("--items must be ≥ 2, got \(items)") }
        guard ["weighted", "last"].contains(pooling) else { throw ValidationError("--pooling must be weighted or last, got \(pooling)") }
        guard top >= 1 else { throw ValidationError("--top must be ≥ 1, got \(top)") }
        if let lensPrompts, lensPrompts < 1 { throw ValidationError("--lens-prompts must be ≥ 1, got \(lensPrompts)") }
        _ = try mexaLayers.map { try LayerList.parse($0, option: "--mexa-layers") }
        _ = try lensLayers.map { try LayerList.parse($0, option: "--lens-layers") }
    }

    func run() throws {
        let polylensFile = try PolylensFile.open(URL(fileURLWithPath: file))
        var options = ReportOptions()
        options.run = runID
        options.lapeSelection = topRate.map { .topRate($0) } ?? .perLanguage(perLanguage)
        options.lapeQuantile = quantile
        options.mexaItems = items
        options.mexaPooling = pooling == "last" ? .last : .weightedMean
        options.mexaIncludeSelf = includeSelf
        options.mexaHeatmapLayers = try mexaLayers.map { try LayerList.parse($0, option: "--mexa-layers") }
        options.lensLayers = try lensLayers.map { try LayerList.parse($0, option: "--lens-layers") }
        options.lensTop = top
        options.lensPrompts = lensPrompts
        options.ablation = ablation
        let printer = progress.printer()
        defer { printer?.finish() }
        let data = try ReportBuilder.build(file: polylensFile, options: options, reportVersion: PolylensVersion.string,
                                           lensLoader: loadLens) { printer?.update($0) }
        printer?.finish()
        let html = HTMLReport.render(data)
        let destination = URL(fileURLWithPath: out)
        let directory = destination.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CLIError("\(out): cannot write the report: directory \(directory) does not exist")
        }
        // Atomic: a reader never sees half a report, and a failed write leaves the old one.
        try OutputFile.write(Data(html.utf8), to: out, what: "report")
        let missing = ReportSectionID.allCases.filter { data.absentReasons[$0] != nil }
        print("wrote \(destination.path) (\(html.utf8.count / 1024) KiB)"
              + (missing.isEmpty ? "" : "; no data for: " + missing.map(\.heading).joined(separator: ", ")))
    }

    /// The tokenizer as `polylens lens` loads it (stored results: optional, for token texts) and, to decode stored
    /// states, the unembedding and the word lists.
    private func loadLens(_ file: PolylensFile, _ run: Int64, _ info: RunInfo, _ decode: Bool) throws -> LensContext {
        LensContext(unembedding: decode ? try LensInputs.unembedding(file, run: run, info: info, model: model).0 : nil,
                    tokenizer: decode ? try LensInputs.tokenizer(info, path: tokenizer) : try? LensInputs.tokenizer(info, path: tokenizer),
                    englishWords: decode ? try WordLists.english(URL(fileURLWithPath: words)) : [],
                    keywordsDirectory: keywords.map { URL(fileURLWithPath: $0) } ?? SharedFiles.url("data/paper/keywords"))
    }
}
