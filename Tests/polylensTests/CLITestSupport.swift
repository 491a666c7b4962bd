import Foundation
import XCTest
import PolylensModel

/// What a finished `polylens` run left: its exit status and everything it wrote.
typealias CLIOutput = (status: Int32, out: String, err: String)

/// The built `polylens` executable, run as a child process the way a user runs it.
enum PolylensCLI {
    private final class BundleToken {}

    /// On Linux the test bundle's URL is the build products directory itself; on macOS it is the .xctest inside it.
    static var binary: URL {
        let bundle = Bundle(for: BundleToken.self).bundleURL
        return [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("polylens") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? bundle.appendingPathComponent("polylens")
    }

    static var isBuilt: Bool { FileManager.default.fileExists(atPath: binary.path) }

    /// Starts `polylens arguments` with stdout and stderr piped, for a test that must act while it runs.
    static func start(_ arguments: [String], stdin: Pipe? = nil) throws -> (Process, out: Pipe, err: Pipe) {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        if let stdin { p.standardInput = stdin }
        p.standardOutput = out; p.standardError = err
        try p.run()
        return (p, out, err)
    }

    /// Runs `polylens arguments` to the end; `stdin`, when given, is written and closed first.
    @discardableResult
    static func run(_ arguments: [String], stdin: String? = nil) throws -> CLIOutput {
        let input = stdin.map { _ in Pipe() }
        let (p, out, err) = try start(arguments, stdin: input)
        if let input, let stdin {
            input.fileHandleForWriting.write(Data(stdin.utf8))
            try input.fileHandleForWriting.close()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

extension XCTestCase {
    /// A fresh directory under the temporary directory, removed when the test ends.
    func temporaryDirectory(_ prefix: String) throws -> String {
        let path = NSTemporaryDirectory() + prefix + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }
}

/// A file a test class ingests once, in its `class func setUp`, with the built binary as a user runs it; each test
/// then fails with the ingest's reason instead of on a missing file (`require()` in `setUpWithError`).
final class IngestedFile: @unchecked Sendable {
    let directory: String
    let file: String
    /// What the ingest printed, and what went wrong when it could not run.
    private(set) var output: CLIOutput?
    private(set) var error: String?

    init(prefix: String, name: String) {
        directory = NSTemporaryDirectory() + prefix + UUID().uuidString
        file = directory + "/" + name
    }

    /// Runs `polylens ingest FILE arguments…` after `prepare` has laid out its inputs in `directory`.
    func make(_ arguments: [String], prepare: (String) throws -> Void = { _ in }) {
        guard PolylensCLI.isBuilt else { return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try prepare(directory)
            let r = try PolylensCLI.run(["ingest", file] + arguments)
            output = r
            if r.status != 0 { error = "ingest failed: \(r.err)" }
        } catch {
            self.error = "\(error)"
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }

    /// Skips without a built binary; fails, then skips, when the ingest did not work.
    func require() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        if let error { XCTFail(error); throw XCTSkip(error) }
    }

    /// Copies the first `count` parallel items (sorted ids of C's folder) of `languages` from the paper's snippets
    /// into `parallel/<language>/`, and returns `parallel`.
    static func copySnippets(first count: Int, of languages: [String], into parallel: String) throws -> String {
        let snippets = SharedFiles.url("data/paper/code_snippets")
        let ids = try FileManager.default.contentsOfDirectory(atPath: snippets.appendingPathComponent("C").path).sorted().prefix(count)
        for lang in languages {
            try FileManager.default.createDirectory(atPath: "\(parallel)/\(lang)", withIntermediateDirectories: true)
            for id in ids {
                try FileManager.default.copyItem(atPath: snippets.appendingPathComponent("\(lang)/\(id)").path, toPath: "\(parallel)/\(lang)/\(id)")
            }
        }
        return parallel
    }
}
