import Foundation
import PolylensModel
import XCTest

/// Issue 14 (and 11): a path recorded in a file is opened only when it holds regular files with the recorded
/// sha256, errors never print another file's bytes, and `--model` defaults to the recorded model.
final class HostileRecordedPathTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(PolylensCLI.isBuilt, "build polylens first")
        try HostileFileFixture.make()
    }

    private let ablate = ["--set", "s1", "--no-save", "--control", "none", "--eval-tokens", "16"]

    /// Without --model, ablate runs with the model the run recorded (checked by sha256).
    func testModelDefaultsToTheRecordedOne() throws {
        let dir = try temporaryDirectory("hostile-recorded-")
        let path = try HostileFileFixture.copy(into: dir)
        let r = try runBounded(["ablate", path] + ablate + ["--format", "json"], seconds: 300)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertTrue(r.out.contains("\"set\""), r.out)
    }

    /// A file pointing `model_path` at a local file made `lens` and `report` parse it as a model, and the error
    /// printed that file's first bytes. Now the files are hashed first; a mismatch names only the digests.
    func testRecordedPathToAnotherFileIsNeverParsed() throws {
        let dir = try temporaryDirectory("hostile-recorded-")
        let secret = dir + "/secret"
        try FileManager.default.createDirectory(atPath: secret, withIntermediateDirectories: true)
        try "TOPSECRET-CONFIG".write(toFile: secret + "/config.json", atomically: true, encoding: .utf8)
        try "TOPSECRET-WEIGHTS".write(toFile: secret + "/model.safetensors", atomically: true, encoding: .utf8)
        for target in ["/etc/passwd", secret, secret + "/model.safetensors"] {
            let path = try HostileFileFixture.copy(into: dir, name: "f\(target.count).polylens",
                                                   sql: "UPDATE runs SET model_path = '\(target)'")
            for arguments in [["ablate", path] + ablate, ["lape", path, "--stability", "2", "--languages", "C,Python"]] {
                let r = try runBounded(arguments)
                assertRefused(r, "the model run 1 used", "\(arguments[0]) \(target)")
                XCTAssertFalse(r.err.contains("TOPSECRET") || r.err.contains("root:") || r.out.contains("TOPSECRET"), r.err)
            }
        }
    }

    /// A FIFO where the recorded model is blocked forever; a recorded file list naming a path outside the
    /// directory is refused.
    func testRecordedFIFOAndForgedFileListAreErrors() throws {
        let dir = try temporaryDirectory("hostile-recorded-")
        try FileManager.default.createDirectory(atPath: dir + "/m", withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(dir + "/m/config.json", 0o600), 0)
        try Data().write(to: URL(fileURLWithPath: dir + "/m/model.safetensors"))
        let fifo = try HostileFileFixture.copy(into: dir, name: "fifo.polylens", sql: "UPDATE runs SET model_path = '\(dir)/m'")
        let started = Date()
        assertRefused(try runBounded(["ablate", fifo] + ablate, seconds: 20), "not a regular file", "FIFO")
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        let forged = try HostileFileFixture.copy(into: dir, name: "forged.polylens",
                                                 sql: "UPDATE runs SET model_sha256 = '../../etc/passwd=00,model.safetensors=11'")
        assertRefused(try runBounded(["ablate", forged] + ablate), "records an invalid model file list", "forged list")
    }
}
