import Foundation
import XCTest
@testable import PolylensStore

/// The Python package (tools/python/polylens) reads the file from FORMAT.md alone; `python3 -m polylens FILE`
/// prints the neuron statistics, which must equal `polylens export`. (tools/python/tests runs the rest.)
final class PolylensReaderTests: XCTestCase {
    func testPythonPackageMatchesExport() throws {
        let binary = try StoreFixture.polylensBinary()
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        guard let python = path.split(separator: ":").map({ "\($0)/python3" }).first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("python3 is not on PATH")
        }
        let url = try StoreFixture.directory(self).appendingPathComponent("py.polylens")
        let (file, _) = try StoreFixture.makeFile(at: url)
        try file.close()

        let exported = try StoreFixture.run(binary, ["export", url.path, "--what", "neuron-stats", "--format", "csv"])
        XCTAssertEqual(exported.status, 0, exported.stderr)
        let package = StoreFixture.repository.appendingPathComponent("tools/python").path
        let read = try StoreFixture.run(URL(fileURLWithPath: "/usr/bin/env"), ["PYTHONPATH=\(package)", python, "-m", "polylens", url.path])
        XCTAssertEqual(read.status, 0, read.stderr)

        let a = exported.stdout.split(separator: "\n"), b = read.stdout.split(separator: "\n")
        XCTAssertEqual(a.first, "language,layer,neuron,n,active,sum,sumsq,max")
        XCTAssertEqual(a.count, 1 + 6 * StoreFixture.neurons)
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b).dropFirst() {
            let f = x.split(separator: ","), g = y.split(separator: ",")
            XCTAssertEqual(f.prefix(5), g.prefix(5), "\(x) vs \(y)")
            for k in 5..<8 {
                // Swift prints the shortest Float for max, Python the Double of the same f32: compare as numbers.
                let u = try XCTUnwrap(Double(f[k])), v = try XCTUnwrap(Double(g[k]))
                XCTAssertEqual(u, v, accuracy: abs(v) * (k == 7 ? 1e-7 : 0), "\(x) vs \(y)")
            }
        }
    }
}
