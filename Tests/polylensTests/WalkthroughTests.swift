import Foundation
import XCTest
import PolylensModel
import PolylensStore

/// README's "Your own corpus, step by step", run verbatim: the newcomer's commands must work as printed.
final class WalkthroughTests: XCTestCase {
    static let heading = "## Your own corpus, step by step"

    /// The first ```sh block after the heading.
    static func walkthrough() throws -> String {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try XCTUnwrap(text.range(of: heading).map { text[$0.upperBound...] }, "README has no walkthrough")
        let start = try XCTUnwrap(section.range(of: "```sh\n"))
        let end = try XCTUnwrap(section[start.upperBound...].range(of: "\n```"))
        return String(section[start.upperBound..<end.lowerBound])
    }

    func testTheReadmeWalkthroughRunsAsPrinted() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        let script = try Self.walkthrough()
        XCTAssertTrue(script.contains("polylens ingest my.polylens"))

        // `../shared` beside the working directory, as beside a checkout.
        let root = try temporaryDirectory("polylens-walkthrough-")
        let work = root + "/work"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/shared", withDestinationPath: SharedFiles.root.path)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-e", "-o", "pipefail", "-c", script]
        p.currentDirectoryURL = URL(fileURLWithPath: work)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = PolylensCLI.binary.deletingLastPathComponent().path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment.removeValue(forKey: "POLYLENS_SHARED")
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "stdout:\n\(o)\nstderr:\n\(e)")

        // Step 1 printed plain progress lines (stderr is a pipe, --progress asked for them).
        XCTAssertTrue(e.contains("documents ·") && e.contains("done in"), e)
        // Step 2 said that run 1 grows, with the new spec and budget.
        XCTAssertTrue(e.contains("run 1 continues (only new documents are computed): adds --lang Shell=/usr/share/doc/git/contrib/**/*.sh; max_tokens_per_language 10000 → 12000"), e)
        XCTAssertTrue(o.contains("documents_resumed: "), o)

        let mine = try PolylensFile.open(URL(fileURLWithPath: work + "/my.polylens"))
        XCTAssertEqual(try mine.runs().count, 1)
        XCTAssertEqual(try mine.languages(run: 1), ["Perl", "Python", "Shell"])
        let parameters = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try mine.runs()[0].info.parametersJSON.utf8)) as? [String: Any])
        XCTAssertEqual((parameters["history"] as? [[String: Any]])?.count, 2)
        XCTAssertEqual(parameters["max_tokens_per_language"] as? Int, 12000)
        for (language, tokens) in try mine.corpusTokensPerLanguage(run: 1) {
            // Step 1's budget for Python and Perl (step 2 walked only Shell), step 2's for Shell.
            XCTAssertLessThanOrEqual(tokens, language == "Shell" ? 12000 : 10000, language)
            XCTAssertGreaterThan(tokens, 5000, language)
        }

        // Analyses, comparison and sharing left what they promise.
        let lape = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work + "/lape.json"))) as? [String: Any])
        XCTAssertEqual((lape["languages"] as? [String])?.sorted(), ["Perl", "Python", "Shell"])
        XCTAssertTrue(o.contains("Perl") && o.contains("p_active"), o)
        let all = try PolylensFile.open(URL(fileURLWithPath: work + "/all.polylens"))
        XCTAssertEqual(Set(try all.languages(run: try all.resolveRun(nil))), ["C", "Perl", "Python", "Shell"])
        let csv = try String(contentsOfFile: work + "/neuron-stats.csv", encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("language,layer,neuron,n,active,sum,sumsq,max\n"), String(csv.prefix(80)))
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 4 * 4 * 512)
    }
}
