import Foundation
import XCTest
@testable import PolylensStore

/// A `polylens merge` child commits one input per transaction; killed with SIGKILL while its write-ahead log grows
/// (inside a transaction), it must leave a file that verify accepts and that holds nothing, the first input,
/// or both, never a part of one.
final class CrashSafetyTests: XCTestCase {
    func testKillDuringCommitLeavesBeforeOrAfter() throws {
        let binary = try StoreFixture.polylensBinary()
        let dir = try StoreFixture.directory(self)
        let inputs = try (0..<2).map { k -> (URL, [NeuronStats], Int) in
            let url = dir.appendingPathComponent("in\(k).polylens")
            let file = try PolylensFile.create(url)
            let run = try file.beginRun(StoreFixture.runInfo())
            let docs = try StoreFixture.documents(StoreFixture.corpora[k], offset: 60, count: 4)
            // Large, poorly compressible lens states make each commit long enough to be interrupted.
            let prompts = (0..<24).map { StoreFixture.lensPrompt(source: "C", target: "Python", item: "\(k)-\($0)", tokens: 1200, positions: 1100) }
            try file.commit(run: run, batch: StoreFixture.batch(docs, lensPrompts: prompts))
            let stats = try file.neuronStats(run: run)
            try file.close()
            return (url, stats, docs.count)
        }
        var both = inputs[0].1
        both += inputs[1].1
        let states: [(documents: Int, stats: [NeuronStats])] = [
            (0, []), (inputs[0].2, inputs[0].1), (inputs[0].2 + inputs[1].2, both),
        ]

        func freshOutput(_ name: String) throws -> URL {
            let url = dir.appendingPathComponent(name)
            let out = try PolylensFile.create(url)
            _ = try out.beginRun(StoreFixture.runInfo())
            try out.close()
            return url
        }
        let reference = try freshOutput("reference.polylens")
        let full = try StoreFixture.run(binary, ["merge", reference.path, inputs[0].0.path, inputs[1].0.path])
        XCTAssertEqual(full.status, 0, full.stderr)

        // Kill when the write-ahead log has grown past a threshold: the child is then inside a transaction.
        var killed = 0, seen: Set<Int> = []
        let thresholds = [0.1, 0.5, 1, 2, 3, 4, 5, 6, 7].map { Int($0 * 1_048_576) }
        for (k, threshold) in thresholds.enumerated() {
            let out = try freshOutput("out\(k).polylens")
            let wal = out.path + "-wal"
            let child = Process()
            child.executableURL = binary
            child.arguments = ["merge", out.path, inputs[0].0.path, inputs[1].0.path]
            child.standardOutput = FileHandle.nullDevice
            child.standardError = FileHandle.nullDevice
            try child.run()
            while child.isRunning {
                let size = (try? FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
                if size >= threshold {
                    kill(child.processIdentifier, SIGKILL)
                    break
                }
                usleep(200)
            }
            child.waitUntilExit()
            if child.terminationReason == .uncaughtSignal { killed += 1 }

            let file = try PolylensFile.open(out)
            let report = try file.verify()
            XCTAssertTrue(report.isSound, "kill at WAL \(threshold) B: " + report.problems.joined(separator: "\n"))
            let documents = try file.documents(run: 1).count
            let state = try XCTUnwrap(states.firstIndex { $0.documents == documents }, "kill at WAL \(threshold) B: \(documents) documents")
            seen.insert(state)
            XCTAssertEqual(try file.neuronStats(run: 1), states[state].stats, "kill at WAL \(threshold) B")
            XCTAssertEqual(try file.lensPrompts(run: 1).count, 24 * state, "kill at WAL \(threshold) B")
        }
        XCTAssertGreaterThan(killed, 2, "children were not killed mid-write")
        print("CrashSafetyTests: \(killed) of \(thresholds.count) killed mid-write, states seen \(seen.sorted())")
    }
}
