import Foundation
import XCTest
import PolylensModel

/// `polylens neuron`, `lape --active-above/--active-quantile` and the activity exports as a user runs them, on a
/// file ingested once from real code (C headers and the Python standard library) with polycode.
final class NeuronCommandTests: XCTestCase {
    static let fixture = IngestedFile(prefix: "polylens-neuron-cli-", name: "neuron.polylens")
    static var directory: String { fixture.directory }
    static var file: String { fixture.file }

    override class func setUp() {
        fixture.make(["--model", SharedFiles.url("models/polycode").path,
                      "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/*.py",
                      "--max-doc-tokens", "128", "--max-tokens-per-language", "3000", "--held-out", "0",
                      "--top-contexts", "5", "--top-contexts-per-language", "2", "--format", "json"])
    }

    override class func tearDown() { fixture.remove() }

    override func setUpWithError() throws { try Self.fixture.require() }

    func testNeuronJSONAgreesWithTheStatisticsAndOrdersItsContexts() throws {
        let r = try PolylensCLI.run(["neuron", Self.file, "1:17", "--format", "json"])
        XCTAssertEqual(r.status, 0, r.err)
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        XCTAssertEqual(json["layer"] as? Int, 1)
        XCTAssertEqual((json["bin_edges"] as? [Any])?.count, 41)
        let export = try PolylensCLI.run(["export", Self.file, "--what", "neuron-stats"])
        var active: [String: (Int, Int)] = [:]
        for line in export.out.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",").map(String.init)
            if f[1] == "1" && f[2] == "17" { active[f[0]] = (Int(f[3])!, Int(f[4])!) }
        }
        let languages = try XCTUnwrap(json["languages"] as? [[String: Any]])
        XCTAssertEqual(languages.compactMap { $0["language"] as? String }, ["C", "Python"])
        for l in languages {
            let name = l["language"] as! String, (n, a) = try XCTUnwrap(active[name])
            XCTAssertEqual(l["tokens"] as? Int, n)
            XCTAssertEqual(l["active"] as? Int, a)
            let histogram = try XCTUnwrap(l["histogram"] as? [Int])
            XCTAssertEqual(histogram.reduce(0, +), n, "the histogram counts every token")
            XCTAssertEqual(histogram.dropFirst(12).reduce(0, +), a, "bins 12… are a > 0")
            let q = try XCTUnwrap(l["quantiles"] as? [String: Double])
            XCTAssertLessThanOrEqual(q["p50"]!, q["p90"]!); XCTAssertLessThanOrEqual(q["p90"]!, q["p99"]!)
            XCTAssertLessThanOrEqual(q["p99_9"]!, (l["max"] as? Double)! + 1e-6)
        }
        let contexts = try XCTUnwrap(json["contexts"] as? [[String: Any]])
        XCTAssertEqual(contexts.count, 5)
        let values = contexts.map { $0["value"] as! Double }
        XCTAssertEqual(values, values.sorted(by: >))
        for c in contexts {
            XCTAssertEqual(c["firing_index"] as? Int, 8)
            XCTAssertEqual((c["token_ids"] as? [Int])?.count, 13)
            XCTAssertTrue((c["text"] as? String)?.contains("⟦") == true)
            XCTAssertGreaterThan(c["position"] as! Int, 0, "BOS is never a context")
        }
        let python = try XCTUnwrap((json["contexts_by_language"] as? [String: [[String: Any]]])?["Python"])
        XCTAssertEqual(python.count, 2)
        XCTAssertTrue(python.allSatisfy { $0["language"] as? String == "Python" })
        let text = try PolylensCLI.run(["neuron", Self.file, "1:17", "--language", "python"])
        XCTAssertEqual(text.status, 0, text.err)
        XCTAssertTrue(text.out.contains("top contexts, Python"), text.out)
        XCTAssertFalse(text.out.contains("top contexts, C\n"), text.out)
    }

    func testLapeAboveZeroFromHistogramsEqualsTheOriginal() throws {
        let original = try PolylensCLI.run(["lape", Self.file, "--per-language", "20", "--format", "csv"])
        let histograms = try PolylensCLI.run(["lape", Self.file, "--per-language", "20", "--active-above", "0", "--format", "csv"])
        XCTAssertEqual(original.status, 0, original.err)
        XCTAssertEqual(histograms.out, original.out)
        let quantile = try PolylensCLI.run(["lape", Self.file, "--per-language", "20", "--active-quantile", "0.9", "--format", "csv"])
        XCTAssertEqual(quantile.status, 0, quantile.err)
        XCTAssertNotEqual(quantile.out, original.out)
    }

    func testExportsCoverEveryNeuron() throws {
        let h = try PolylensCLI.run(["export", Self.file, "--what", "activation-histograms"])
        XCTAssertEqual(h.status, 0, h.err)
        let rows = h.out.split(separator: "\n")
        XCTAssertEqual(rows.first, "language,layer,neuron,counts")
        XCTAssertEqual(rows.count, 1 + 2 * 4 * 512)
        let c = try PolylensCLI.run(["export", Self.file, "--what", "neuron-contexts", "--format", "jsonl"])
        XCTAssertEqual(c.status, 0, c.err)
        XCTAssertEqual(c.out.split(separator: "\n").count, 4 * 512 * (5 + 2 * 2))
    }

    func testBadInputsAreOneLineErrors() throws {
        for (arguments, expected) in [
            (["neuron", Self.file, "9:0"], "no neuron statistics for layer 9"),
            (["neuron", Self.file, "1:4096"], "neuron 4096 is outside layer 1's 0..<512"),
            (["neuron", Self.file, "one"], "the neuron must be LAYER:INDEX"),
            (["neuron", Self.file, "1:1", "--language", "Cobol"], "no language 'Cobol'"),
            (["lape", Self.file, "--active-above", "1", "--active-quantile", "0.5"], "exclude each other"),
            (["lape", Self.file, "--active-quantile", "1.5"], "--active-quantile must be in (0, 1)"),
            (["ingest", Self.directory + "/x.polylens", "--model", "m", "--lang", "C=/x", "--context-window", "8"], "--context-window must be BEFORE,AFTER"),
        ] {
            let r = try PolylensCLI.run(arguments)
            XCTAssertNotEqual(r.status, 0, "\(arguments)")
            XCTAssertTrue(r.err.contains(expected), "\(arguments): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, r.err)
            XCTAssertEqual(r.out, "")
        }
    }
}

extension NeuronCommandTests {
    /// The report's LAPE section shows each language's most selective neurons as cards with marked contexts.
    func testReportShowsNeuronCards() throws {
        let out = Self.directory + "/report.html"
        let r = try PolylensCLI.run(["report", Self.file, "--out", out])
        XCTAssertEqual(r.status, 0, r.err)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(html.contains("What the most selective neurons respond to"))
        let cards = html.components(separatedBy: "class=\"neuron-card\"").count - 1
        XCTAssertEqual(cards, 2 * 3, "three cards for each of C and Python")
        XCTAssertGreaterThanOrEqual(html.components(separatedBy: "<mark class=\"token\">").count - 1, cards)
    }
}

extension NeuronCommandTests {
    /// The Python package (tools/python) reads the histograms and contexts from FORMAT.md alone, as the export
    /// writes them.
    func testPythonReaderMatchesTheExports() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        guard let python = path.split(separator: ":").map({ "\($0)/python3" }).first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("python3 is not on PATH")
        }
        func runPython(_ arguments: [String]) throws -> (status: Int32, out: Data, err: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = arguments
            let out = Pipe(), err = Pipe()
            p.standardOutput = out; p.standardError = err
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, data, message)
        }
        guard try runPython(["-c", "import numpy, lz4"]).status == 0 else { throw XCTSkip("the package needs numpy and lz4 (tools/setup.sh)") }
        var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: root.appendingPathComponent("Package.swift").path) { root.deleteLastPathComponent() }
        let script = """
            import sys; sys.path.insert(0, sys.argv[1]); import polylens
            f = polylens.open(sys.argv[2])
            h = f.rows("activation_histograms", "run_id = 1")
            for lang, layer, counts in sorted(zip(h["language"], h["layer"], h["counts"]), key=lambda t: (t[0], int(t[1]))):
                for i, row in enumerate(counts): print("%s,%d,%d,%s" % (lang, layer, i, " ".join(str(int(c)) for c in row)))
            print("contexts", sum(int((v == v).sum()) for v in f.rows("neuron_contexts", "run_id = 1")["value"]))
            """
        let run = try runPython(["-c", script, root.appendingPathComponent("tools/python").path, Self.file])
        XCTAssertEqual(run.status, 0, run.err)
        let data = run.out
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        let export = try PolylensCLI.run(["export", Self.file, "--what", "activation-histograms"])
        XCTAssertEqual(Array(lines.dropLast()), Array(export.out.split(separator: "\n").dropFirst()))
        XCTAssertEqual(lines.last, "contexts \(4 * 512 * (5 + 2 * 2))")
    }
}
