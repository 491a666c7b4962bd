import Foundation
import PolylensAnalysis
import PolylensEngine
import PolylensIngest
import PolylensStore

/// `lape --stability N`: the file keeps only totals per language, so the held-out documents (whose tokens it
/// keeps) are run through the model once to count each one's activations; LAPE then reruns on bootstrap
/// resamples of them and each language's set is compared with the file's selection and with the selection
/// from all held-out documents.
extension LapeCommand {
    struct Stability {
        var againstFile: LAPEStability
        var againstHeldOut: LAPEStability
        var tokens: [Int64]
    }

    struct StabilityJSON: Encodable {
        struct Language: Encodable {
            var documents: Int, tokens: Int64
            var jaccard_file_mean: Double, jaccard_file_p05: Double, jaccard_file_p95: Double
            var jaccard_held_out_mean: Double
        }
        var method: String, resamples: Int
        var languages: [String: Language]
        init(_ s: Stability) {
            let a = s.againstFile
            method = LAPEStability.method + "; reference: the file's selection (jaccard_file_*) and the selection from all held-out documents (jaccard_held_out_mean)"
            resamples = a.resamples
            languages = Dictionary(uniqueKeysWithValues: a.languages.indices.map { k in
                (a.languages[k], Language(documents: a.documents[k], tokens: s.tokens[k], jaccard_file_mean: a.mean(k),
                                          jaccard_file_p05: a.quantile(k, 0.05), jaccard_file_p95: a.quantile(k, 0.95),
                                          jaccard_held_out_mean: s.againstHeldOut.mean(k)))
            })
        }
    }

    func stabilityCheck(_ file: PolylensFile, run: Int64, result r: LAPEResult, resamples: Int) throws -> Stability {
        guard let info = try file.runs().first(where: { $0.id == run })?.info else { throw CLIError("\(options.file): no run \(run)") }
        let (weights, _, _) = try RunModel.load(model, run: run, info: info)
        let transformer = try Transformer(weights, threads: threads)
        var activity: [DocumentActivity] = []
        let documents = try r.languages.map { try file.heldOutDocuments(run: run, language: $0) }
        let total = documents.reduce(0) { $0 + $1.count }
        let progress = isatty(2) != 0
        for (language, docs) in zip(r.languages, documents) {
            for (_, d) in docs {
                guard let ids = d.tokenIds, !ids.isEmpty else { continue }
                let counter = NeuronStatsAccumulator(language: language, layers: r.layers, neurons: r.neurons)
                transformer.reset()
                _ = try transformer.forward(ids.map(Int.init), taps: counter)
                let stats = counter.stats
                activity.append(DocumentActivity(language: language, tokens: stats[0].tokens, active: stats.flatMap(\.active)))
                if progress { FileHandle.standardError.write(Data("\r\u{1B}[Kstability: \(activity.count)/\(total) held-out documents counted".utf8)) }
            }
        }
        if progress { FileHandle.standardError.write(Data("\n".utf8)) }
        for language in r.languages where !activity.contains(where: { $0.language == language }) {
            throw CLIError("\(options.file): run \(run) holds no held-out \(language) documents for --stability (ingest with --held-out > 0)")
        }
        let tokens = r.languages.map { l in activity.filter { $0.language == l }.reduce(Int64(0)) { $0 + $1.tokens } }
        // The selection from all held-out documents: the second reference.
        var values = [Double](repeating: 0, count: r.layers * r.neurons * r.languages.count)
        for (k, language) in r.languages.enumerated() {
            var active = [Int64](repeating: 0, count: r.layers * r.neurons)
            for d in activity where d.language == language { for j in active.indices { active[j] += d.active[j] } }
            for j in active.indices { values[j * r.languages.count + k] = Double(active[j]) / Double(tokens[k]) }
        }
        let heldOut = try LAPE.run(try ActivationProbabilities(languages: r.languages, layers: r.layers, neurons: r.neurons, values: values),
                                   selection: r.selection, quantile: r.quantile)
        let resample = { (reference: [[NeuronRef]]) in
            try LAPEStability.run(activity, languages: r.languages, layers: r.layers, neurons: r.neurons, reference: reference,
                                  selection: r.selection, quantile: r.quantile, resamples: resamples)
        }
        return Stability(againstFile: try resample(r.selected), againstHeldOut: try resample(heldOut.selected), tokens: tokens)
    }

    static func stabilityTable(_ s: Stability) -> String {
        let a = s.againstFile
        var t = TextTable(["language", "held-out documents", "tokens", "Jaccard with file's set: mean", "5%", "95%", "with held-out set: mean"])
        for k in a.languages.indices {
            t.add([a.languages[k], "\(a.documents[k])", "\(s.tokens[k])", AnalysisOutput.number(a.mean(k), 3),
                   AnalysisOutput.number(a.quantile(k, 0.05), 3), AnalysisOutput.number(a.quantile(k, 0.95), 3),
                   AnalysisOutput.number(s.againstHeldOut.mean(k), 3)])
        }
        return "Stability over \(a.resamples) resamples: \(LAPEStability.method)\n" + t.text(format: .table)
    }
}
