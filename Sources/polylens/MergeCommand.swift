import ArgumentParser
import Foundation
import PolylensStore

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Combine Polylens files ingested with one model over disjoint documents.",
        discussion: """
            OUT is created, or extended when it exists. Refuses files of different models, tokenizers or \
            architectures and documents present in two inputs. Statistics are summed; neuron sets and ablation \
            results are not carried over (recompute them on the merged file).
            """)

    @Argument(help: "The output file.") var output: String
    @Argument(help: "Input files.") var inputs: [String]
    @OptionGroup var progress: ProgressOptions

    func validate() throws {
        try OutputPath.refuse(output, option: "the output", ifAnyOf: inputs)
    }

    func run() throws {
        let printer = progress.printer()
        defer { printer?.finish() }
        // A merge that fails part-way (a bad blob in the second input) leaves no new output behind.
        let created = !FileManager.default.fileExists(atPath: output)
        let s: MergeSummary
        do {
            s = try PolylensFile.merge(into: URL(fileURLWithPath: output), from: inputs.map { URL(fileURLWithPath: $0) }) {
                printer?.update($0)
            }
        } catch {
            if created { for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: output + suffix) } }
            throw error
        }
        printer?.finish()
        print("\(output): run \(s.run) +\(s.documents) documents, +\(s.lensPrompts) lens prompts from \(inputs.count) file(s)")
    }
}
