import Foundation
import XCTest
import PolylensModel

/// One command-line vocabulary (issue 11) and outputs that fail loudly (issue 14), on a small file ingested
/// once with polycode from real code (C headers and the Python standard library on this machine).
final class VocabularyTests: XCTestCase {
    static let fixture = IngestedFile(prefix: "polylens-vocabulary-", name: "v.polylens")
    static var directory: String { fixture.directory }
    static var file: String { fixture.file }
    static let model = SharedFiles.url("models/polycode").path
    static var ingest: CLIOutput? { fixture.output }

    override class func setUp() {
        fixture.make(["--model", model, "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/*.py",
                      "--parallel", directory + "/parallel", "--prompts", SharedFiles.url("data/paper/prompts").path, "--lens-items", "2",
                      "--lens-languages", "C,Python", "--held-out", "0.3", "--max-doc-tokens", "64",
                      "--max-tokens-per-language", "1500", "--format", "json"]) {
            _ = try IngestedFile.copySnippets(first: 4, of: ["C", "Python"], into: $0 + "/parallel")
        }
    }

    override class func tearDown() { fixture.remove() }

    override func setUpWithError() throws { try Self.fixture.require() }

    /// Words a command must not use for a concept the vocabulary names otherwise (visible options only;
    /// an old spelling stays as a hidden alias).
    static let synonyms = ["repeat": "repeats", "iterations": "repeats", "runs": "repeats", "jobs": "threads",
                           "num-threads": "threads", "n-threads": "threads", "top-k": "top", "topk": "top", "k": "top",
                           "n-items": "items", "item-count": "items", "pool": "pooling", "output-format": "format",
                           "fmt": "format", "layer-list": "layers", "quiet": "progress", "no-progress": "progress"]
    static let formats: Set<String> = ["table", "text", "csv", "tsv", "json", "jsonl", "npz", "safetensors"]

    /// Every command's options (from ArgumentParser's own description of the tool) and every `--format json`
    /// answer on a real file: kebab-case option names from one vocabulary, snake_case JSON keys, nested objects.
    func testEveryCommandSpeaksOneVocabulary() throws {
        let dump = try PolylensCLI.run(["--experimental-dump-help"])
        XCTAssertEqual(dump.status, 0, dump.err)
        let root = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(dump.out.utf8)) as? [String: Any])?["command"] as? [String: Any])
        var commands: [(path: [String], info: [String: Any])] = []
        func walk(_ c: [String: Any], _ path: [String]) {
            commands.append((path, c))
            for s in c["subcommands"] as? [[String: Any]] ?? [] { walk(s, path + [s["commandName"] as? String ?? "?"]) }
        }
        walk(root, [])
        XCTAssertGreaterThan(commands.count, 20)
        for (path, info) in commands where !path.isEmpty && path != ["help"] {
            let help = try PolylensCLI.run(path + ["--help"])
            XCTAssertEqual(help.status, 0, "\(path) --help: \(help.err)")
            XCTAssertTrue(help.out.contains("USAGE:"), "\(path) --help")
            for a in info["arguments"] as? [[String: Any]] ?? [] where a["kind"] as? String != "positional" {
                let visible = a["shouldDisplay"] as? Bool ?? true
                for n in a["names"] as? [[String: Any]] ?? [] where n["kind"] as? String == "long" {
                    let name = n["name"] as? String ?? ""
                    XCTAssertNotNil(name.range(of: "^[a-z][a-z0-9]*(-[a-z0-9]+)*$", options: .regularExpression), "\(path): --\(name) is not kebab-case")
                    if visible, let word = Self.synonyms[name] { XCTFail("\(path): --\(name) should be --\(word)") }
                    if name == "format", visible {
                        let values = Set((a["allValues"] as? [String]) ?? [])
                        XCTAssertTrue(values.isSubset(of: Self.formats), "\(path): --format \(values.sorted())")
                        if values.contains("csv") { XCTAssertFalse(values.contains("text"), "\(path): a tabular answer is --format table, not text") }
                    }
                }
            }
        }

        // Every --format json answer on the file (ingest's from setUp).
        XCTAssertEqual(try PolylensCLI.run(["lape", Self.file, "--save", "v", "--format", "table"]).status, 0)
        let runs: [[String]] = [
            ["info", Self.file], ["lape", Self.file], ["mexa", Self.file, "--items", "4"], ["lens", Self.file],
            ["neuron", Self.file, "1:7"], ["results", Self.file], ["sql", Self.file, "SELECT id, model_sha256 FROM runs"],
            ["model-info", Self.model], ["estimate", "--model", Self.model, "--languages", "3", "--documents-per-language", "10", "--gflops", "1"],
            ["ablate", Self.file, "--set", "v", "--model", Self.model, "--eval-tokens", "64", "--control-seeds", "1"],
        ]
        var outputs = [("ingest", Self.ingest?.out ?? "")]
        for args in runs {
            let r = try PolylensCLI.run(args + ["--format", "json"])
            XCTAssertEqual(r.status, 0, "\(args): \(r.err)")
            outputs.append((args[0], r.out))
        }
        let jsonl = try PolylensCLI.run(["export", Self.file, "--what", "neuron-contexts", "--format", "jsonl"])
        XCTAssertEqual(jsonl.status, 0, jsonl.err)
        outputs += jsonl.out.split(separator: "\n").prefix(3).map { ("export", String($0)) }
        // Keys that are data (language names keying lape's and mexa's maps) keep their spelling.
        let languages = Set(try XCTUnwrap(JSONValue.parse(Data(outputs[1].1.utf8))?.object?["runs"]?.array?.first?.object?["languages"]?.array)
            .compactMap { $0.object?["language"]?.string } + ["English"])
        XCTAssertEqual(languages, ["C", "Python", "English"])
        for (command, text) in outputs {
            let value = try XCTUnwrap(JSONValue.parse(Data(text.utf8)), "\(command): not JSON: \(text.prefix(200))")
            Self.checkKeys(value, command: command, data: languages)
        }
    }

    /// snake_case keys all the way down; a string value never holds JSON (nested objects are objects).
    static func checkKeys(_ v: JSONValue, command: String, data: Set<String>, at path: String = "") {
        switch v {
        case .object(let o):
            for (k, x) in o {
                if !data.contains(k) { XCTAssertNotNil(k.range(of: "^[a-z][a-z0-9]*(_[a-z0-9]+)*$", options: .regularExpression), "\(command): key \(path).\(k) is not snake_case") }
                checkKeys(x, command: command, data: data, at: path + "." + k)
            }
        case .array(let a): a.forEach { checkKeys($0, command: command, data: data, at: path + "[]") }
        case .string(let s):
            if let first = s.first, first == "{" || first == "[", let inner = JSONValue.parse(Data(s.utf8)), inner.object != nil || inner.array != nil {
                XCTFail("\(command): \(path) holds JSON inside a string: \(s.prefix(80))")
            }
        default: break
        }
    }

    /// `--threads -3` is about the value, not "Missing value for '--threads'"; a fraction out of range likewise.
    func testNegativeAndZeroValuesAreRefusedByValue() throws {
        let cases: [([String], String)] = [
            (["lape", Self.file, "--threads", "-3"], "--threads must be at least 1, got -3"),
            (["mexa", Self.file, "--items", "-1"], "--items must be at least 2, got -1"),
            (["lens", Self.file, "--top", "0"], "--top must be at least 1, got 0"),
            (["lape", Self.file, "--quantile", "-0.5"], "--quantile must be in (0, 1], got -0.5"),
            (["export", Self.file, "--what", "neuron-stats", "--layer", "-2"], "--layers must be at least 0, got -2"),
            (["export", Self.file, "--what", "neuron-stats", "--layers", "-2"], "--layers: '-2' is not a layer or a range a-b"),
            (["ingest", Self.directory + "/x.polylens", "--model", Self.model, "--lang", "C=/usr/include/stdio.h", "--threads", "0"],
             "--threads must be at least 1, got 0"),
            (["ingest", Self.directory + "/x.polylens", "--model", Self.model, "--lang", "C=/usr/include/stdio.h", "--max-doc-tokens", "-5"],
             "--max-doc-tokens must be at least 2"),
        ]
        for (args, message) in cases {
            let r = try PolylensCLI.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.err.contains(message), "\(args): \(r.err)")
            XCTAssertFalse(r.err.contains("Missing value"), "\(args): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(args): one line, \(r.err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: Self.directory + "/x.polylens"))
    }

    /// A full device or file system: stdout, --out and report say so in one line and exit non-zero.
    func testWritesThatFailSaySo() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/dev/full"), "no /dev/full")
        let stdoutCases: [[String]] = [
            ["export", Self.file, "--what", "neuron-stats"], ["sql", Self.file, "SELECT * FROM documents"],
            ["lape", Self.file, "--format", "json"], ["mexa", Self.file, "--format", "csv", "--items", "4"], ["info", Self.file],
        ]
        for args in stdoutCases {
            let r = try Self.run(args, stdout: "/dev/full")
            XCTAssertEqual(r.status, 1, "\(args): \(r.err)")
            // The last line (lape warns on stderr first).
            XCTAssertTrue(r.err.hasSuffix("\npolylens: cannot write to standard output: No space left on device\n")
                          || r.err == "polylens: cannot write to standard output: No space left on device\n", "\(args): \(r.err)")
        }
        let tokenize = try Self.run(["tokenize", "--tokenizer", Self.model], stdout: "/dev/full", stdin: "\"int main\"\n")
        XCTAssertEqual(tokenize.status, 1, tokenize.err)
        XCTAssertTrue(tokenize.err.contains("No space left on device"), tokenize.err)

        // A full file system, simulated by a file size limit (`ulimit -f`, 64 KiB): stdout to a file and
        // --out / --plot (a temporary file renamed into place) fail with one line and leave nothing behind.
        // Not /dev/full for files: a test running as root would replace the device by the renamed file.
        let dir = Self.directory + "/full"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (args, redirect) in [(["export", Self.file, "--what", "neuron-stats"], " > '\(dir)/stdout.csv'"),
                                 (["export", Self.file, "--what", "neuron-stats", "--out", dir + "/out.csv"], ""),
                                 (["report", Self.file, "--out", dir + "/report.html"], "")] {
            let quoted = ([PolylensCLI.binary.path] + args).map { "'\($0)'" }.joined(separator: " ")
            let r = try Self.shell("ulimit -f 64; exec \(quoted)\(redirect)")
            XCTAssertEqual(r.status, 1, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains("File too large"), "\(args): \(r.err)")
            XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(args): \(r.err)")
            let left = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0 != "stdout.csv" }
            XCTAssertEqual(left, [], "\(args)")
        }
    }

    /// An output that is one of the inputs is refused before anything is written: same path, another
    /// spelling of it, or a hard link.
    func testOutputThatIsAnInputIsRefused() throws {
        let copy = Self.directory + "/copy.polylens", link = Self.directory + "/link.polylens"
        try? FileManager.default.removeItem(atPath: copy); try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.copyItem(atPath: Self.file, toPath: copy)
        try FileManager.default.linkItem(atPath: copy, toPath: link)
        let before = try Data(contentsOf: URL(fileURLWithPath: copy))
        let cases: [[String]] = [
            ["report", copy, "--out", copy], ["report", copy, "--out", Self.directory + "/./copy.polylens"],
            ["export", copy, "--what", "neuron-stats", "--out", link], ["lape", copy, "--plot", link],
            ["merge", copy, link], ["merge", Self.directory + "/new.polylens", Self.file, copy, link],
        ]
        for args in cases.dropLast() {
            let r = try PolylensCLI.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.err.contains("is the input"), "\(args): \(r.err)")
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), before)
    }

    /// Package.swift declares exactly what each module imports (tools/check_package_deps.py), and the
    /// check fails when a declaration goes missing.
    func testPackageDependenciesEqualImports() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("tools/check_package_deps.py").path
        let good = try Self.python([script, root.path])
        XCTAssertEqual(good.status, 0, good.out + good.err)
        XCTAssertEqual(good.out, "")

        // A copy of the package whose Report target forgets PolylensTokenizer.
        let copy = Self.directory + "/package"
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for folder in ["Sources", "Tests"] {
            try FileManager.default.createSymbolicLink(atPath: copy + "/" + folder, withDestinationPath: root.appendingPathComponent(folder).path)
        }
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let broken = manifest.replacingOccurrences(of: "\"PolylensAnalysis\", \"PolylensEngine\", \"PolylensStore\", \"PolylensTokenizer\"]",
                                                   with: "\"PolylensAnalysis\", \"PolylensEngine\", \"PolylensStore\"]")
        XCTAssertNotEqual(broken, manifest, "the Report target's dependency list changed; update this test")
        try broken.write(toFile: copy + "/Package.swift", atomically: true, encoding: .utf8)
        let bad = try Self.python([script, copy])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.out, "Package.swift: PolylensReport imports PolylensTokenizer without declaring it\n")
    }

    private static func python(_ args: [String]) throws -> CLIOutput { try process(["python3"] + args) }

    private static func shell(_ script: String) throws -> CLIOutput { try process(["sh", "-c", script]) }

    private static func process(_ args: [String]) throws -> CLIOutput {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Runs polylens with stdout sent to a file (e.g. /dev/full).
    private static func run(_ args: [String], stdout path: String, stdin: String? = nil) throws -> CLIOutput {
        let p = Process()
        p.executableURL = PolylensCLI.binary
        p.arguments = args
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let err = Pipe()
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, "", String(decoding: e, as: UTF8.self))
    }
}
