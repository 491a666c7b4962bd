import ArgumentParser
import Foundation
import PolylensStore

extension ExportContent: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a Polylens file's neuron statistics, language states, summaries, lens states or a neuron set for other tools.",
        discussion: """
            neuron-stats CSV: language,layer,neuron,n,active,sum,sumsq,max (active = count of a > 0). \
            language-states CSV: language,layer,dimension,n,sum,sumsq (sums of the residual stream h and h² over n tokens). \
            npz / safetensors (--out FILE): neuron-stats as languages, layers, tokens [language, layer] and active, sum, \
            sumsq, max [language, layer, neuron]; summaries as data f16 [document, layer, dim] with language, item_key, \
            source, sha256 (safetensors keeps the string lists in __metadata__ as JSON). lape-set --set NAME --format json: \
            {"languages", "activation_mask"}, per language a list over layers of neuron indices (the LAPE repository's layout).
            """)

    @Argument(help: "A Polylens file.") var file: String
    @Option(help: "neuron-stats, language-states, summaries, lens or lape-set.") var what: ExportContent
    @Option(help: "csv, jsonl, json (lape-set), npz or safetensors (neuron-stats, summaries; need --out).") var format: ExportFormat = .csv
    @Option(help: "Write to this file (atomically) instead of stdout; required for npz and safetensors.") var out: String?
    @Option(help: ArgumentHelp("Only these languages, comma-separated.", valueName: "L,L,…")) var languages: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Only these layers, comma-separated; ranges a-b allowed.", valueName: "L,L,…")) var layers: String?
    /// The spellings before the vocabulary was unified (`--languages`, `--layers` as in lape and mexa), kept for scripts.
    @Option(name: .customLong("language"), help: .hidden) var languageAlias: [String] = []
    @Option(name: .customLong("layer"), parsing: .unconditionalSingleValue, help: .hidden) var layerAlias: [Int] = []
    @Option(help: "Summaries of this pooling only: weighted, mean or last (npz/safetensors: default weighted).") var pooling: Pooling?
    @Option(name: .customLong("set"), help: "The neuron set to export (lape-set).") var setName: String?
    @Option(name: .customLong("run"), parsing: .unconditional, help: "The run to export (needed when the file holds several).") var runID: Int64?

    func validate() throws {
        try OutputPath.refuse(out, option: "--out", ifAnyOf: [file])
        try OptionCheck.atLeast(0, try selectedLayers() ?? [], "--layers")
        if format.isArchive {
            guard what == .neuronStats || what == .summaries else {
                throw ValidationError("--format \(format.rawValue) exports neuron-stats or summaries, not \(what.rawValue)")
            }
            guard out != nil else { throw ValidationError("--format \(format.rawValue) needs --out FILE") }
        }
        if what == .lapeSet {
            guard setName != nil else { throw ValidationError("--what lape-set needs --set NAME") }
            guard format == .json else { throw ValidationError("--what lape-set is written as --format json") }
        } else if format == .json {
            throw ValidationError("--format json is for lape-set; use jsonl for \(what.rawValue)")
        }
        if pooling != nil && what != .summaries { throw ValidationError("--pooling applies to summaries only") }
    }

    func run() throws {
        let f = try PolylensFile.open(URL(fileURLWithPath: file))
        let run = try f.resolveRun(runID)
        let filter = ExportFilter(languages: selectedLanguages, layers: try selectedLayers().map(Set.init), pooling: pooling)
        switch (what, format.isArchive) {
        case (.lapeSet, _):
            try write(Data((try f.lapeMasksJSON(run: run, set: setName!, filter: filter, layers: try modelLayers(f, run)) + "\n").utf8))
        case (_, true):
            let tensors = what == .neuronStats ? try f.neuronStatsTensors(run: run, filter: filter)
                                               : try f.summaryTensors(run: run, filter: filter)
            try write(format == .npz ? try TensorArchive.npz(tensors)
                                     : TensorArchive.safetensors(tensors, metadata: ["polylens_file": file, "run": "\(run)"]))
        default:
            try writeLines { emit in try f.export(what, run: run, format: format, filter: filter, to: emit) }
        }
    }

    private var selectedLanguages: Set<String>? {
        let all = languageAlias + (languages ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return all.isEmpty ? nil : Set(all)
    }

    private func selectedLayers() throws -> [Int]? {
        let all = layerAlias + (try layers.map { try LayerList.parse($0, option: "--layers") } ?? [])
        return all.isEmpty ? nil : all
    }

    /// The run's MLP layer count from its architecture (the LAPE layout lists every layer).
    private func modelLayers(_ f: PolylensFile, _ run: Int64) throws -> Int {
        guard let info = try f.runs().first(where: { $0.id == run })?.info,
              let object = try? JSONSerialization.jsonObject(with: Data(info.architectureJSON.utf8)) as? [String: Any],
              let layers = object["n_layers"] as? Int else {
            throw ValidationError("\(file): run \(run) does not record n_layers in its architecture")
        }
        return layers
    }

    private func write(_ data: Data) throws {
        guard let out else { StandardOutput.write(data); return }
        try OutputFile.write(data, to: out)
    }

    private func writeLines(_ body: ((String) -> Void) throws -> Void) throws {
        guard let out else { return try body(StandardOutput.line) }
        var text = Data()
        try body { text.append(contentsOf: $0.utf8); text.append(0x0A) }
        try write(text)
    }
}
