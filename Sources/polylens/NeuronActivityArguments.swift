import ArgumentParser
import PolylensIngest
import PolylensStore

/// Ingest options for activation histograms and top contexts (issue 12), shared by `ingest` and `bench ingest`.
struct NeuronActivityArguments: ParsableArguments {
    @Option(parsing: .unconditional, help: "Top-activating contexts kept per neuron over all languages (0: none).")
    var topContexts = 16

    @Option(parsing: .unconditional, help: "Top-activating contexts kept per neuron and language (0: none).")
    var topContextsPerLanguage = 3

    @Option(help: ArgumentHelp("Tokens stored before and after each context's firing token.", valueName: "BEFORE,AFTER"))
    var contextWindow = "8,4"

    @Flag(help: "Collect no activation histograms.")
    var noActivationHistograms = false

    @Flag(help: "Collect neither histograms nor contexts (what ingest did before issue 12).")
    var noNeuronActivity = false

    func validate() throws {
        try OptionCheck.atLeast(0, topContexts, "--top-contexts")
        try OptionCheck.atLeast(0, topContextsPerLanguage, "--top-contexts-per-language")
        _ = try window()
    }

    func window() throws -> (before: Int, after: Int) {
        let parts = contextWindow.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let before = parts[0], let after = parts[1], before >= 0, after >= 0 else {
            throw ValidationError("--context-window must be BEFORE,AFTER (two non-negative integers), got '\(contextWindow)'")
        }
        return (before, after)
    }

    func apply(to options: inout IngestOptions) throws {
        let (before, after) = try window()
        options.activationHistograms = !noActivationHistograms && !noNeuronActivity
        let shape = ContextShape(k: topContexts, perLanguage: topContextsPerLanguage, before: before, after: after)
        options.contexts = noNeuronActivity || shape.collected == 0 ? nil : shape
    }
}
