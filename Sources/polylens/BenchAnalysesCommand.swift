import ArgumentParser
import Foundation
import PolylensAnalysis
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer

/// The analyses' speed on synthetic inputs of the paper's sizes (Llama-3.1-8B statistics, 7 × 581 parallel
/// items, a 32000-token vocabulary), timed in this process; the inputs are built before the clock starts.
struct BenchAnalysesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyses",
        abstract: "Measure LAPE, MEXA and the logit lens on synthetic inputs of the paper's sizes.",
        discussion: """
        LAPE: 12 languages × 32 layers × 14336 neurons of counts (Llama-3.1-8B), paper and top-rate selections.
        MEXA: 7 languages × --mexa-items items × 33 layers × 4096 dims, every pair at every layer (the paper's
        default uses 100 items; all 581 costs 581² × 4096 × 2 flops per pair and layer in Float64).
        Lens: --lens-prompts prompts × --lens-positions positions × 33 layers × 4096 dims against a 32000 × 4096
        unembedding, reported per position. Each figure is the median of --repeats runs.
        """)

    @Option(parsing: .unconditional, help: "Runs per measurement; the median is reported.") var repeats = 3
    /// The spelling before the vocabulary was unified (`--repeats` everywhere), kept for scripts.
    @Option(name: .customLong("repeat"), parsing: .unconditional, help: .hidden) var repeatAlias: Int?
    private var `repeat`: Int { repeatAlias ?? repeats }
    @Option(help: "Parallel items per language for MEXA (the paper: 100; the data: 581).") var mexaItems = 100
    @Option(parsing: .unconditional, help: "Lens prompts.") var lensPrompts = 100
    @Option(parsing: .unconditional, help: "Positions per lens prompt.") var lensPositions = 1
    @Option(parsing: .unconditional, help: "Model width (d_model) for MEXA and the lens.") var dim = 4096
    @Option(parsing: .unconditional, help: "Vocabulary size for the lens.") var vocab = 32000
    @Option(help: "text or json.") var format: Format = .text

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    struct Figures: Encodable {
        var loadAverage: String
        var lapeShape: String, lapePaperMs: Double, lapePaperCpuMs: Double, lapeTopRateMs: Double, lapeTopRateCpuMs: Double
        var mexaShape: String, mexaSeconds: Double, mexaCpuSeconds: Double
        var lensShape: String, lensSeconds: Double, lensCpuSeconds: Double, lensMsPerPosition: Double, lensGflops: Double
    }

    func validate() throws {
        guard `repeat` >= 1, mexaItems >= 2, lensPrompts >= 1, lensPositions >= 1, dim >= 1, vocab >= 10 else {
            throw ValidationError("--repeats, --lens-prompts, --lens-positions, --dim must be ≥ 1, --mexa-items ≥ 2, --vocab ≥ 10")
        }
    }

    /// Median wall-clock seconds of `repeat` runs, and the process CPU seconds (all threads) of that run: on a
    /// shared machine the wall clock also counts other processes, the CPU time does not.
    private func median(_ body: () throws -> Void) rethrows -> (wall: Double, cpu: Double) {
        func now(_ clock: clockid_t) -> Double {
            var t = timespec()
            clock_gettime(clock, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
        }
        var runs: [(wall: Double, cpu: Double)] = []
        for _ in 0..<`repeat` {
            let (w, c) = (now(CLOCK_MONOTONIC), now(CLOCK_PROCESS_CPUTIME_ID))
            try body()
            runs.append((now(CLOCK_MONOTONIC) - w, now(CLOCK_PROCESS_CPUTIME_ID) - c))
        }
        return runs.sorted { $0.wall < $1.wall }[runs.count / 2]
    }

    func run() throws {
        var rng = SplitMix64(seed: 2506_01074)
        func unit() -> Float { Float(rng.next() >> 40) / Float(1 << 24) }

        // LAPE: per neuron a base firing rate, shifted per language, counted over 10^6 tokens.
        let (langs, layers, neurons) = (12, 32, 14336)
        let base = (0..<(layers * neurons)).map { _ in unit() * unit() }
        var stats: [NeuronStats] = []
        for k in 0..<langs {
            for l in 0..<layers {
                var active = [Int64](repeating: 0, count: neurons)
                for i in 0..<neurons {
                    let rate: Float = min(1, base[l * neurons + i] * (0.5 + unit()))
                    active[i] = Int64(rate * 1e6)
                }
                stats.append(NeuronStats(language: "L\(k)", layer: l, tokens: 1_000_000, active: active, sum: [], sumSquares: [], max: []))
            }
        }
        let paper = try median { _ = try LAPE.run(try ActivationProbabilities(stats: stats), selection: .perLanguage(400)) }
        let topRate = try median { _ = try LAPE.run(try ActivationProbabilities(stats: stats), selection: .topRate(0.01)) }

        // MEXA: item vectors shared across languages plus language noise, so the scores are not trivial.
        let mexaLayers = 33, mexaLangs = 7
        let itemBase = (0..<(mexaItems * dim)).map { _ in unit() - 0.5 }
        var documents: [(document: DocumentInfo, summary: DocumentSummary)] = []
        for a in 0..<mexaLangs {
            for i in 0..<mexaItems {
                var values = [Float](repeating: 0, count: mexaLayers * dim)
                for l in 0..<mexaLayers {
                    let spread = Float(l) * 0.02
                    for t in 0..<dim { values[l * dim + t] = itemBase[i * dim + t] + spread * (unit() - 0.5) }
                }
                documents.append((DocumentInfo(language: "P\(a)", source: "synthetic", itemKey: String(format: "%04d", i),
                                               sha256: "", bytes: 0, tokens: 0, heldOut: false, tokenIds: nil),
                                  DocumentSummary(pooling: .weightedMean, layers: mexaLayers, dim: dim, values: values)))
            }
        }
        let mexa = try median { _ = try MEXA.run(try ParallelEmbeddings(documents)) }
        documents = []

        // Lens: random states and unembedding; one sgemm per prompt (all its layers and positions).
        let unembedding = try Unembedding(finalNorm: (0..<dim).map { _ in 0.5 + unit() },
                                          matrix: (0..<(vocab * dim)).map { _ in (unit() - 0.5) * 0.05 },
                                          vocab: vocab, dim: dim, eps: 1e-5)
        let prompts = (0..<lensPrompts).map { _ in
            LensPrompt(source: "C", target: "Python", itemKey: "x",
                       tokens: (0..<(lensPositions + 2)).map { _ in Int32(rng.next() % UInt64(vocab)) }, firstPosition: 1,
                       layers: mexaLayers, dim: dim, states: (0..<(mexaLayers * lensPositions * dim)).map { _ in unit() - 0.5 })
        }
        let sets = [TokenSet(name: "even", ids: (0..<Int32(vocab)).filter { $0 % 2 == 0 })]
        let lens = try median { _ = try LogitLens.run(prompts, unembedding: unembedding, sets: sets, topK: 10) }
        let positions = Double(lensPrompts * lensPositions)

        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        let f = Figures(
            loadAverage: load,
            lapeShape: "\(langs) languages × \(layers) layers × \(neurons) neurons",
            lapePaperMs: paper.wall * 1000, lapePaperCpuMs: paper.cpu * 1000,
            lapeTopRateMs: topRate.wall * 1000, lapeTopRateCpuMs: topRate.cpu * 1000,
            mexaShape: "\(mexaLangs) languages × \(mexaItems) items × \(mexaLayers) layers × \(dim) dims",
            mexaSeconds: mexa.wall, mexaCpuSeconds: mexa.cpu,
            lensShape: "\(lensPrompts) prompts × \(lensPositions) positions × \(mexaLayers) layers × \(dim) dims, vocab \(vocab)",
            lensSeconds: lens.wall, lensCpuSeconds: lens.cpu, lensMsPerPosition: lens.wall / positions * 1000,
            lensGflops: 2 * Double(vocab * dim) * Double(mexaLayers) * positions / lens.wall / 1e9)
        switch format {
        case .json: try AnalysisOutput.writeJSON(f, keys: .convertToSnakeCase)
        case .text:
            AnalysisOutput.write("""
            load average \(f.loadAverage) (wall-clock figures include other processes; CPU = this process, all threads)
            LAPE  \(f.lapeShape): paper selection (ν 400) \(AnalysisOutput.number(f.lapePaperMs, 1)) ms (CPU \(AnalysisOutput.number(f.lapePaperCpuMs, 1)) ms), top-rate 1% \(AnalysisOutput.number(f.lapeTopRateMs, 1)) ms (CPU \(AnalysisOutput.number(f.lapeTopRateCpuMs, 1)) ms), from counts, median of \(`repeat`)
            MEXA  \(f.mexaShape): \(AnalysisOutput.number(f.mexaSeconds, 3)) s (CPU \(AnalysisOutput.number(f.mexaCpuSeconds, 3)) s) for every pair at every layer
            Lens  \(f.lensShape): \(AnalysisOutput.number(f.lensSeconds, 3)) s (CPU \(AnalysisOutput.number(f.lensCpuSeconds, 3)) s), \(AnalysisOutput.number(f.lensMsPerPosition, 2)) ms per position (all layers), \(AnalysisOutput.number(f.lensGflops, 1)) GFLOP/s in the unembedding

            """)
        }
    }
}
