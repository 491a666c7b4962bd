import ArgumentParser
import Foundation
import PolylensModel
import PolylensAnalysis
import PolylensStore

struct ResultsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "List, or delete, the saved neuron sets and ablation runs of a Polylens file.",
        discussion: """
        A neuron set is named (`lape --save NAME`) and identified by the sha256 of its members; an ablation run \
        records the set it zeroed (name, sha256, selection parameters, as they were) and its own settings. The \
        listing says whether an ablation's set is still saved unchanged, was replaced since, or was deleted. \
        Ablation rows of files written before schema version 5 are listed as having no recorded provenance. \
        A delete is one transaction; deleting a set keeps the ablation runs made with it.
        table: sets, then ablation runs. csv: one row per result with its kind. json: {sets, ablations, unrecorded_ablations}.
        """)

    @Argument(help: "A Polylens file.") var file: String
    @Option(name: .customLong("run"), parsing: .unconditional, help: "The run (needed when the file holds several).") var runID: Int64?
    @Option(help: "table, csv or json (on stdout).") var format: OutputFormat = .table
    @Option(help: ArgumentHelp("Delete the saved neuron set of this name.", valueName: "NAME")) var deleteSet: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Delete the ablation run of this id (with its per-document results).", valueName: "ID")) var deleteAblation: Int64?
    @Flag(help: "Delete the ablation rows without recorded provenance (written before schema version 5).") var deleteUnrecorded = false
    @Option(parsing: .unconditional, help: ArgumentHelp("Print one stored ablation run as `ablate` printed it (intervals recomputed from its documents).", valueName: "ID"))
    var showAblation: Int64?

    func validate() throws {
        let deletes = [deleteSet != nil, deleteAblation != nil, deleteUnrecorded].filter { $0 }.count
        if deletes > 1 { throw ValidationError("--delete-set, --delete-ablation and --delete-unrecorded exclude each other") }
        if deletes > 0 && showAblation != nil { throw ValidationError("--show-ablation does not go with a delete") }
    }

    var deletes: Bool { deleteSet != nil || deleteAblation != nil || deleteUnrecorded }

    struct SetRow: Encodable {
        var name: String, sha256: String?, parameters: JSONValue, created_at: String, neurons: [String: Int]
    }
    struct AblationRow: Encodable {
        var id: Int64, set: String, set_sha256: String, set_status: String, set_parameters: JSONValue, parameters: JSONValue
        var created_at: String, rows: Int, documents: Int
    }
    struct UnrecordedRow: Encodable { var set: String, rows: Int }
    struct Listing: Encodable { var sets: [SetRow], ablations: [AblationRow], unrecorded_ablations: [UnrecordedRow] }

    func run() throws {
        let polylensFile = try PolylensFile.open(URL(fileURLWithPath: file), readOnly: !deletes)
        let run = try polylensFile.resolveRun(runID)
        if let id = showAblation { return try show(polylensFile, run: run, ablation: id) }
        if let name = deleteSet {
            try polylensFile.deleteNeuronSet(run: run, name: name)
            FileHandle.standardError.write(Data("deleted neuron set \(name) of run \(run)\n".utf8))
        } else if let id = deleteAblation {
            try polylensFile.deleteAblationRun(run: run, id: id)
            FileHandle.standardError.write(Data("deleted ablation \(id) of run \(run)\n".utf8))
        } else if deleteUnrecorded {
            let n = try polylensFile.deleteLegacyAblationResults(run: run, setName: nil)
            FileHandle.standardError.write(Data("deleted \(n) ablation rows without recorded provenance of run \(run)\n".utf8))
        }
        try write(try listing(polylensFile, run: run))
    }

    private func show(_ f: PolylensFile, run: Int64, ablation id: Int64) throws {
        guard let ablation = try f.ablationRuns(run: run).first(where: { $0.id == id }) else {
            throw CLIError("\(file): run \(run) has no ablation \(id)")
        }
        try AblationOutput.write(AblationSummary(stored: ablation, documents: try f.ablationDocuments(ablation: id)), format: format)
    }

    private func listing(_ f: PolylensFile, run: Int64) throws -> Listing {
        let sets = try f.neuronSetRecords(run: run)
        let rows = try f.ablationResults(run: run)
        let ablations = try f.ablationRuns(run: run).map { a -> AblationRow in
            let id = a.id!
            let status = sets.first { $0.name == a.setName }.map { $0.contentSHA256 == a.setSHA256 ? "saved" : "replaced since" } ?? "deleted since"
            return AblationRow(id: id, set: a.setName, set_sha256: a.setSHA256, set_status: status, set_parameters: JSONValue(storedText: a.setParametersJSON),
                               parameters: JSONValue(storedText: a.parametersJSON), created_at: a.createdAt ?? "", rows: rows.filter { $0.ablationID == id }.count,
                               documents: Set(try f.ablationDocuments(ablation: id).map(\.document)).count)
        }
        var unrecorded: [UnrecordedRow] = []
        for r in rows where r.ablationID == nil {
            if let i = unrecorded.firstIndex(where: { $0.set == r.setName }) { unrecorded[i].rows += 1 } else { unrecorded.append(.init(set: r.setName, rows: 1)) }
        }
        return Listing(sets: sets.map { SetRow(name: $0.name, sha256: $0.contentSHA256, parameters: JSONValue(storedText: $0.parametersJSON),
                                                created_at: $0.createdAt, neurons: $0.sizes) },
                       ablations: ablations, unrecorded_ablations: unrecorded)
    }

    private func write(_ l: Listing) throws {
        switch format {
        case .json: try AnalysisOutput.writeJSON(l)
        case .csv:
            var t = TextTable(["kind", "id", "name", "sha256", "created_at", "set_status", "parameters", "details"])
            for s in l.sets {
                t.add(["set", "", s.name, s.sha256 ?? "", s.created_at, "", s.parameters.text, Self.sizes(s.neurons)])
            }
            for a in l.ablations {
                t.add(["ablation", "\(a.id)", a.set, a.set_sha256, a.created_at, a.set_status, a.parameters.text, "\(a.rows) rows, \(a.documents) documents"])
            }
            for u in l.unrecorded_ablations { t.add(["ablation_unrecorded", "", u.set, "", "", "", "", "\(u.rows) rows"]) }
            AnalysisOutput.write(t.text(format: .csv))
        case .table:
            var out = "Neuron sets\n"
            var s = TextTable(["name", "sha256", "saved", "neurons", "selection"])
            for x in l.sets { s.add([x.name, x.sha256.map { String($0.prefix(16)) + "…" } ?? "(not recorded)", x.created_at, Self.sizes(x.neurons), x.parameters.text]) }
            out += (l.sets.isEmpty ? "(none)\n" : s.text(format: .table)) + "\nAblation runs\n"
            var a = TextTable(["id", "set", "set sha256", "set now", "made", "documents", "settings"])
            for x in l.ablations {
                a.add(["\(x.id)", x.set, String(x.set_sha256.prefix(16)) + "…", x.set_status, x.created_at, "\(x.documents)", x.parameters.text])
            }
            out += l.ablations.isEmpty ? "(none)\n" : a.text(format: .table)
            if !l.unrecorded_ablations.isEmpty {
                out += "\nAblation rows without recorded provenance (written before schema version 5; set and settings unknown)\n"
                var u = TextTable(["set name", "rows"])
                for x in l.unrecorded_ablations { u.add([x.set, "\(x.rows)"]) }
                out += u.text(format: .table)
            }
            AnalysisOutput.write(out)
        }
    }

    static func sizes(_ neurons: [String: Int]) -> String {
        neurons.keys.sorted().map { "\($0) \(neurons[$0]!)" }.joined(separator: ", ")
    }
}
