import Foundation
import XCTest
import PolylensEngine
import PolylensModel
import PolylensStore
import PolylensTokenizer
@testable import PolylensIngest

/// Issue 9: the logit lens computed at ingest equals an independent numpy computation (tools/lens_reference.py,
/// float64) from the engine's f32 states of the same prompts: top-k ids, probabilities within 1e-4.
final class LensAtIngestTests: XCTestCase {
    static var repository: URL {
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) { dir = dir.deletingLastPathComponent() }
        return dir
    }

    func testStoredLensEqualsNumpyFromF32States() throws {
        var options = try IngestorTests.smallCorpus()
        options.corpus = options.corpus.filter { if case .parallel = $0 { return true } else { return false } }
        options.lensStates = false
        let (ingestor, weights, tokenizer) = try IngestorTests.makeIngestor(options)
        let dir = try temporaryDirectory()
        let file = try PolylensFile.create(URL(fileURLWithPath: dir + "/lens.polylens"))
        let report = try ingestor.run(into: file, threads: 2)
        XCTAssertEqual(report.promptsCommitted, 3 * 2 * 2)
        let run = report.run

        // Without --lens-states: results and token sets, no states and no unembedding.
        XCTAssertNil(try file.unembedding(run: run))
        XCTAssertTrue(try file.lensPrompts(run: run).allSatisfy { $0.states.isEmpty })
        let sets = try file.tokenSets(run: run)
        XCTAssertEqual(sets.map(\.name), ["English", "C keywords", "Python keywords", "Java keywords"])
        XCTAssertEqual(sets, ingestor.tokenSets)
        let results = try file.lensResults(run: run)
        XCTAssertEqual(results.count, 12)
        XCTAssertTrue(try file.verify().isSound)

        let config = weights.config
        let transformer = try Transformer(weights, threads: 2)
        let python = try XCTUnwrap(Self.pythonWithNumpy(), "python3 with numpy is needed (tools/setup.sh)")
        for r in results where r.itemKey == results[0].itemKey {
            XCTAssertEqual(r.layers, config.nLayers + 1)
            XCTAssertEqual(r.columns.topK, 10)
            let collector = LensStateCollector(blocks: config.nLayers, dim: config.dim, firstPosition: r.firstPosition, tokenCount: r.tokens.count)
            _ = try transformer.forward(r.tokens.map { Int($0) }, startPosition: 0, taps: collector, logits: .none)
            let states = dir + "/states.f32", meta = dir + "/meta.json"
            try collector.states.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: states)) }
            let metaObject: [String: Any] = ["rows": r.columns.rows, "positions": r.positions, "dim": config.dim, "eps": Double(config.normEps),
                                             "top_k": 10, "next": r.next.map(Int.init), "sets": sets.map { $0.ids.map(Int.init) }]
            try JSONSerialization.data(withJSONObject: metaObject).write(to: URL(fileURLWithPath: meta))
            let out = try Self.run(python, [Self.repository.appendingPathComponent("tools/lens_reference.py").path,
                                            IngestorTests.model.path, states, meta])
            struct Reference: Decodable {
                var top_ids: [[Int32]], top_probabilities: [[Double]], correct_probability: [Double], correct_rank: [Int32]
                var entropy: [Double], set_mass: [[Double]]
            }
            let ref = try JSONDecoder().decode(Reference.self, from: out)
            let c = r.columns
            var worst = 0.0
            for row in 0..<c.rows {
                for j in 0..<10 {
                    let got = Double(c.topProbabilities[row * 10 + j]), want = ref.top_probabilities[row][j]
                    worst = max(worst, abs(got - want))
                    // Ids agree unless two tokens' probabilities are within float rounding of each other.
                    if c.topIds[row * 10 + j] != ref.top_ids[row][j] { XCTAssertEqual(got, want, accuracy: 1e-6, "\(r.source)→\(r.target) row \(row) #\(j)") }
                }
                worst = max(worst, abs(Double(c.correctProbability[row]) - ref.correct_probability[row]))
                XCTAssertEqual(c.correctRank[row], ref.correct_rank[row], "row \(row)")
                XCTAssertEqual(Double(c.entropy[row]), ref.entropy[row], accuracy: 1e-4)
                for s in 0..<sets.count { worst = max(worst, abs(Double(c.setMass[row * sets.count + s]) - ref.set_mass[row][s])) }
            }
            XCTAssertLessThan(worst, 1e-4, "\(r.source)→\(r.target)")
        }
    }

    /// The first python3 on PATH that imports numpy.
    static func pythonWithNumpy() -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: "\($0)/python3") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) && (try? run($0, ["-c", "import numpy"])) != nil }
    }

    /// stdout of a process that must succeed (its stderr goes to the test log).
    static func run(_ executable: URL, _ arguments: [String]) throws -> Data {
        let process = Process(), stdout = Pipe()
        process.executableURL = executable; process.arguments = arguments; process.standardOutput = stdout
        try process.run()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw IngestError("\(executable.path) \(arguments.joined(separator: " ")): exit \(process.terminationStatus)") }
        return data
    }
}
