import Foundation
import GRDB
import PolylensModel
import XCTest

/// One small real ingest (polycode on C headers and Python's standard library, four parallel items, two lens
/// pairs) with a saved LAPE set, made once; each hostile-file test tampers with its own copy.
enum HostileFileFixture {
    static let directory = NSTemporaryDirectory() + "polylens-hostile-" + UUID().uuidString
    static let pristine = directory + "/pristine.polylens"
    static let model = SharedFiles.url("models/polycode").path
    static let parallel = directory + "/parallel"
    static var ingestArguments: [String] {
        ["--model", model, "--lang", "C=/usr/include/std*.h", "--lang", "Python=/usr/lib/python3.11/a*.py",
         "--parallel", parallel, "--prompts", SharedFiles.url("data/paper/prompts").path, "--lens-items", "2",
         "--lens-languages", "C,Python", "--held-out", "0.3", "--max-doc-tokens", "64", "--max-tokens-per-language", "1500"]
    }
    private static var made: Result<Void, Error>?

    /// Ingests once per test process; a failure is reported by every test that needs the file.
    static func make() throws {
        if made == nil {
            made = Result {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let ids = try FileManager.default.contentsOfDirectory(atPath: SharedFiles.url("data/paper/code_snippets/C").path).sorted().prefix(4)
                for lang in ["C", "Python"] {
                    try FileManager.default.createDirectory(atPath: "\(parallel)/\(lang)", withIntermediateDirectories: true)
                    for id in ids {
                        try FileManager.default.copyItem(atPath: SharedFiles.url("data/paper/code_snippets/\(lang)/\(id)").path,
                                                         toPath: "\(parallel)/\(lang)/\(id)")
                    }
                }
                for arguments in [["ingest", pristine] + ingestArguments, ["lape", pristine, "--per-language", "5", "--save", "s1"]] {
                    let r = try PolylensCLI.run(arguments)
                    guard r.status == 0 else { throw CLIFailure("\(arguments[0]) failed: \(r.err)") }
                }
            }
        }
        try made!.get()
    }

    /// A copy of the pristine file in `directory`, changed by `sql` through a plain SQLite connection.
    static func copy(into directory: String, name: String = "hostile.polylens", sql: String? = nil) throws -> String {
        try make()
        let path = directory + "/" + name
        try FileManager.default.copyItem(atPath: pristine, toPath: path)
        if let sql {
            let db = try DatabaseQueue(path: path)
            try db.writeWithoutTransaction { try $0.execute(sql: sql) }
            try db.close()
        }
        return path
    }

    struct CLIFailure: Error, CustomStringConvertible { let description: String; init(_ d: String) { description = d } }
}

extension XCTestCase {
    /// Runs `polylens arguments`, killing it after `seconds`: a hostile file must never make a command hang.
    func runBounded(_ arguments: [String], seconds: Double = 30, file: StaticString = #filePath, line: UInt = #line) throws -> CLIOutput {
        let (p, out, err) = try PolylensCLI.start(arguments)
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            XCTFail("polylens \(arguments.joined(separator: " ")) still running after \(seconds) s", file: file, line: line)
        }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Fails unless the run failed with exactly one line on stderr that contains `expected`.
    func assertRefused(_ r: CLIOutput, _ expected: String, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(r.status, 0, "\(what) succeeded: \(r.out.prefix(300))", file: file, line: line)
        XCTAssertEqual(r.err.split(separator: "\n").count, 1, "\(what): \(r.err.prefix(600))", file: file, line: line)
        XCTAssertTrue(r.err.contains(expected), "\(what): \(r.err.prefix(600))", file: file, line: line)
    }
}
