import XCTest
@testable import PolylensIngest

final class IngestProgressTests: XCTestCase {
    func testLineAndETA() {
        // Resumed: 600 of 1000 bytes were already done; 200 bytes computed in 10 s leave 200 bytes = 10 s.
        let p = IngestProgress(done: 120, total: 200, bytesDone: 800, bytesTotal: 1000, bytesComputed: 200,
                               tokensComputed: 35_120, seconds: 10, documentsPerLanguage: ["Python": 80, "C": 40])
        XCTAssertEqual(p.tokensPerSecond, 3512)
        XCTAssertEqual(try XCTUnwrap(p.eta), 10, accuracy: 1e-9)
        XCTAssertEqual(p.line, "ingest 120/200 · 3512 tok/s · ETA 10s · C 40 Python 80")
    }

    func testNoETABeforeARate() {
        let p = IngestProgress(done: 0, total: 5, bytesDone: 0, bytesTotal: 10, bytesComputed: 0,
                               tokensComputed: 0, seconds: 0, documentsPerLanguage: [:])
        XCTAssertNil(p.eta)
        XCTAssertTrue(p.line.contains("ETA ?"))
        XCTAssertEqual(IngestProgress.duration(3725), "1h02m")
        XCTAssertEqual(IngestProgress.duration(75), "1m15s")
    }
}
