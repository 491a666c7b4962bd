import Foundation
import XCTest

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
