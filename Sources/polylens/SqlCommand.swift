import ArgumentParser
import Foundation
import PolylensModel
import PolylensStore

struct SqlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "Run read-only SQL on a Polylens file.",
        discussion: """
            The connection cannot write (read-only, query_only, defensive, trusted_schema off). Functions: \
            blob_at(b, i), blob_len(b), blob_dtype(b), blob_filter(b), blob_shape(b), blob_raw_size(b), blob_json(b), \
            blob_cosine(a, b[, row]), blob_cosines(a, b). Virtual table neuron_rows(run, language, layer, neuron, n, \
            p_active, mean, std, max). Several statements run in order, each result printed in turn (json: an array of \
            results). Blobs print as <dtype [shape]>; --hex-blobs prints them as x'…' in json. Worked examples in Queries/.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, tsv, json }

    @Argument(help: "A Polylens file.") var file: String
    @Argument(help: "SQL statements, or a .sql file holding them (e.g. Queries/documents_per_language.sql).") var query: String
    @Option(help: "table, csv, tsv or json.") var format: Format = .table
    @Flag(help: "In json, blobs as hex x'…' rather than <dtype [shape]>.") var hexBlobs = false

    func validate() throws {
        if hexBlobs && format != .json { throw ValidationError("--hex-blobs applies to --format json only") }
        if isQueryFile && !FileManager.default.fileExists(atPath: query) {
            throw ValidationError("\(query): no such query file")
        }
    }

    /// A single word ending in .sql names a file; anything else is SQL.
    private var isQueryFile: Bool {
        query.hasSuffix(".sql") && !query.contains(where: { $0.isWhitespace || $0 == ";" })
    }

    func run() throws {
        let results = try SQLConsole(URL(fileURLWithPath: file)).run(try sqlText())
        guard !results.isEmpty else { throw ValidationError("\(isQueryFile ? query : "the query") holds no SQL statement") }
        if format == .json && results.count > 1 { StandardOutput.line("[") }
        for (k, result) in results.enumerated() {
            if k > 0 && format != .json { StandardOutput.line("") }
            print(result, last: k == results.count - 1)
        }
        if format == .json && results.count > 1 { StandardOutput.line("]") }
    }

    private func sqlText() throws -> String {
        guard isQueryFile else { return query }
        guard let text = try? String(contentsOfFile: query, encoding: .utf8) else {
            throw ValidationError("\(query): cannot read the query file")
        }
        return text
    }

    private func print(_ result: SQLResult, last: Bool) {
        switch format {
        case .csv:
            StandardOutput.line(CSVField.line(result.columns))
            for row in result.rows { StandardOutput.line(CSVField.line(row.map(text))) }
        case .tsv, .table:
            var table = TextTable(result.columns)
            table.rows = result.rows.map { $0.map(text) }
            guard format == .table else { StandardOutput.write(table.tsv); return }
            StandardOutput.write(table.table)
            StandardOutput.line("(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))")
        case .json:
            StandardOutput.line("[")
            for (k, row) in result.rows.enumerated() {
                let fields = zip(result.columns, row).map { "\(JSONValue.quoted($0)): \(json($1))" }
                StandardOutput.line("  {" + fields.joined(separator: ", ") + "}" + (k < result.rows.count - 1 ? "," : ""))
            }
            StandardOutput.line("]" + (last ? "" : ","))
        }
    }

    private func text(_ v: SQLValue) -> String {
        switch v {
        case .null: ""
        case .integer(let i): "\(i)"
        case .real(let d): "\(d)"
        case .text(let s): s
        case .blob(let b): hexBlobs ? "x'" + b.map { String(format: "%02x", $0) }.joined() + "'" : BlobCodec.describe(b)
        }
    }

    private func json(_ v: SQLValue) -> String {
        switch v {
        case .null: "null"
        case .integer(let i): "\(i)"
        case .real(let d): d.isFinite ? "\(d)" : "null"
        case .text(let s): JSONValue.quoted(s)
        case .blob: JSONValue.quoted(text(v))
        }
    }
}
