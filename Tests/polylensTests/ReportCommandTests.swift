import Foundation
import PolylensModel
import PolylensStore
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `polylens report` as a user runs it, on a file that `polylens ingest` wrote from the shared polycode model.
final class ReportCommandTests: XCTestCase {
    /// The paper's first `count` parallel items (sorted ids) of every language, so the ingest stays short.
    private func parallelSubset(_ dir: String, count: Int) throws -> String {
        let source = SharedFiles.url("data/paper/code_snippets")
        let target = dir + "/code_snippets"
        let fm = FileManager.default
        for language in try fm.contentsOfDirectory(atPath: source.path) {
            try fm.createDirectory(atPath: target + "/" + language, withIntermediateDirectories: true)
            for name in try fm.contentsOfDirectory(atPath: source.appendingPathComponent(language).path).sorted().prefix(count) {
                try fm.copyItem(atPath: source.appendingPathComponent(language).appendingPathComponent(name).path,
                                toPath: target + "/" + language + "/" + name)
            }
        }
        return target
    }

    /// Counts what a parser sees in each `<section>`: SVGs, series groups per SVG, no-data notes, CSV links.
    private final class Census: NSObject, XMLParserDelegate {
        struct Section { var svgSeries: [Int] = []; var noData = 0; var csvLinks = 0 }
        var sections: [String: Section] = [:]
        var order: [String] = []
        private var current: String?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let cls = attributes["class"] ?? ""
            if name == "section", let id = attributes["id"] { current = id; order.append(id); sections[id] = Section() }
            guard let id = current else { return }
            if name == "svg" { sections[id]!.svgSeries.append(0) }
            if name == "g", cls == "series" { sections[id]!.svgSeries[sections[id]!.svgSeries.count - 1] += 1 }
            if name == "p", cls == "no-data" { sections[id]!.noData += 1 }
            if name == "a", cls == "csv", attributes["href"]?.hasPrefix("data:text/csv;charset=utf-8;base64,") == true {
                sections[id]!.csvLinks += 1
            }
        }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "section" { current = nil }
        }
    }

    func testEndToEndReportOfAnIngestedFile() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        let dir = try temporaryDirectory("polylens-report-cli-"), file = dir + "/run.polylens", out = dir + "/report.html"
        let ingest = try PolylensCLI.run([
            "ingest", file, "--model", SharedFiles.url("models/polycode").path,
            "--lang", "C=/usr/include/std*.h", "--lang", "python=/usr/lib/python3.11/json/*.py",
            "--parallel", try parallelSubset(dir, count: 8), "--prompts", SharedFiles.url("data/paper/prompts").path,
            "--lens-items", "2", "--lens-languages", "C,Python", "--max-doc-tokens", "256",
            "--max-tokens-per-language", "3000", "--lens-states", "--threads", "1"])
        XCTAssertEqual(ingest.status, 0, ingest.err)

        let r = try PolylensCLI.run(["report", file, "--out", out])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "wrote \(URL(fileURLWithPath: out).path) (\((try Data(contentsOf: URL(fileURLWithPath: out)).count) / 1024) KiB); no data for: Ablation\n")

        let census = Census()
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: out)))
        parser.delegate = census
        XCTAssertTrue(parser.parse(), "the report is not well-formed: \(String(describing: parser.parserError))")
        XCTAssertEqual(census.order, ["summary", "lens", "mexa", "lape", "ablation", "provenance"], "findings first, provenance last")

        let stored = try PolylensFile.open(URL(fileURLWithPath: file))
        let run = try XCTUnwrap(try stored.runs().last?.id)
        let statLanguages = Set(try stored.neuronStats(run: run).map(\.language)).count
        let parallelLanguages = Set(try stored.documents(run: run).filter { $0.itemKey != nil }.map(\.language)).count
        XCTAssertGreaterThanOrEqual(parallelLanguages, 7)

        let sections = census.sections
        XCTAssertEqual(sections["provenance"]?.noData, 0)
        XCTAssertEqual(sections["provenance"]?.csvLinks, 4)
        // polycode: 4 blocks, so layers 0 (embeddings) … 4.
        // The findings: the lens average over all pairs (English, two keyword sets, correct token), MEXA pivot curves,
        // one LAPE bar series per language; no ablation was run.
        XCTAssertEqual(sections["summary"]?.svgSeries, [4, parallelLanguages, statLanguages])
        XCTAssertEqual(sections["summary"]?.csvLinks, 3)
        XCTAssertEqual(sections["lens"]?.svgSeries, [4, 4], "C→Python and Python→C")
        XCTAssertEqual(sections["mexa"]?.svgSeries, [0, 0, 0], "heatmaps at layers 0, 2, 4")
        XCTAssertEqual(sections["lape"]?.svgSeries, [0], "the overlap")
        XCTAssertEqual(sections["ablation"]?.svgSeries, [])
        XCTAssertEqual(sections["ablation"]?.noData, 1)
        for id in ["lens", "mexa", "lape"] { XCTAssertEqual(sections[id]?.noData, 0, id) }

        try screenshot(out, dir: dir)
        try assertPlotColoursMatchTheReport(file: file, report: out, dir: dir)
    }

    /// `--plot` and the report draw with the same code: every series the two have in common (a language, a lens token
    /// set) has the same colour in both, and the lens and MEXA plots label layer 0 "embeddings".
    private func assertPlotColoursMatchTheReport(file: String, report: String, dir: String) throws {
        let reportColours = try seriesColours(String(contentsOfFile: report, encoding: .utf8))
        for command in ["lape", "mexa", "lens"] {
            let plot = "\(dir)/\(command).svg"
            let r = try PolylensCLI.run([command, file, "--plot", plot, "--format", "csv"])
            XCTAssertEqual(r.status, 0, r.err)
            let text = try String(contentsOfFile: plot, encoding: .utf8)
            let plotColours = try seriesColours(text)
            let shared = Set(plotColours.keys).intersection(reportColours.keys)
            XCTAssertFalse(shared.isEmpty, "\(command): no series in common with the report")
            for name in shared { XCTAssertEqual(plotColours[name], reportColours[name], "\(command): series \(name)") }
            if command != "lape" { XCTAssertTrue(text.contains(">embeddings</text>"), "\(command): layer 0 is the embeddings") }
        }
    }

    /// The first colour (stroke of a line, fill of a bar) of each named series in a page or SVG file.
    private func seriesColours(_ markup: String) throws -> [String: String] {
        final class Colours: NSObject, XMLParserDelegate {
            var byName: [String: String] = [:]
            private var current: String?
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                        attributes: [String: String] = [:]) {
                if name == "g", attributes["class"] == "series" { current = attributes["data-name"] }
                guard let series = current, byName[series] == nil else { return }
                if name == "polyline" { byName[series] = attributes["stroke"] }
                if name == "rect" { byName[series] = attributes["fill"] }
            }
            func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
                if name == "g" { current = nil }
            }
        }
        let colours = Colours()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = colours
        XCTAssertTrue(parser.parse(), "\(String(describing: parser.parserError))")
        return colours.byName
    }

    /// Where a browser is installed (CI installs Debian's `chromium`): the page opens without errors and is not blank.
    private func screenshot(_ report: String, dir: String) throws {
        guard let chromium = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":")
            .map({ "\($0)/chromium" }).first(where: FileManager.default.isExecutableFile(atPath:)) else {
            print("ReportCommandTests: no chromium on PATH; screenshot check skipped")
            return
        }
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) {
            root = root.deletingLastPathComponent()
        }
        let p = Process()
        p.executableURL = root.appendingPathComponent("tools/screenshot_report.sh")
        p.arguments = [report, dir + "/report.png"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "\(chromium): \(message)")
    }

    /// A non-zero exit, one line on stderr naming the problem, and no report written.
    private func assertFailure(_ r: CLIOutput, _ expected: String, report: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, file: file, line: line)
        XCTAssertTrue(r.err.contains(expected), r.err, file: file, line: line)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: report), "a failed report left \(report)", file: file, line: line)
    }

    func testBadInputsFailWithOneLineAndWriteNothing() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        let dir = try temporaryDirectory("polylens-report-cli-"), out = dir + "/report.html"
        assertFailure(try PolylensCLI.run(["report", dir + "/missing.polylens", "--out", out]), "\(dir)/missing.polylens: no such file", report: out)

        let notes = dir + "/notes.txt"
        try "not a database\n".write(toFile: notes, atomically: true, encoding: .utf8)
        assertFailure(try PolylensCLI.run(["report", notes, "--out", out]), "\(notes): not a Polylens file", report: out)

        let empty = dir + "/empty.polylens"
        _ = try PolylensFile.create(URL(fileURLWithPath: empty))
        assertFailure(try PolylensCLI.run(["report", empty, "--out", out, "--pooling", "max"]), "--pooling must be weighted or last", report: out)
        assertFailure(try PolylensCLI.run(["report", empty, "--out", out, "--mexa-layers", "1,x"]), "--mexa-layers: 'x' is not a layer or a range a-b", report: out)
        assertFailure(try PolylensCLI.run(["report", empty, "--out", out, "--run", "3"]), "there is no run 3", report: out)
        let nowhere = dir + "/no/such/dir/report.html"
        assertFailure(try PolylensCLI.run(["report", empty, "--out", nowhere]), "\(nowhere): cannot write the report", report: nowhere)

        // A file with no run is not an error: every section says it has no data.
        let r = try PolylensCLI.run(["report", empty, "--out", out])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.hasSuffix("no data for: Logit lens, MEXA cross-lingual alignment, LAPE language-specific neurons, Ablation, Provenance\n"), r.out)
    }
}
