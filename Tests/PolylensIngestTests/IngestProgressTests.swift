import XCTest
import PolylensModel
@testable import PolylensIngest

final class IngestProgressTests: XCTestCase {
    func testLineAndETAInTokens() {
        // 35,120 of 105,360 tokens in 10 s: 3,512 tokens/s, 70,240 tokens left = 20 s.
        let p = IngestProgress(itemsDone: 120, itemsTotal: 4648, tokensDone: 35_120, tokensTotal: 105_360, seconds: 10,
                               documentsPerLanguage: ["Python": 80, "C": 40])
        XCTAssertEqual(p.tokensPerSecond, 3512)
        XCTAssertEqual(try XCTUnwrap(p.eta), 20, accuracy: 1e-9)
        XCTAssertEqual(p.line, "ingest 120/4,648 documents · 35,120/105,360 tokens · 3,512 tokens/s · ETA 20s · C 40 Python 80")
    }

    func testNoETABeforeARateAndElapsedTimeAtTheEnd() {
        var p = IngestProgress(itemsDone: 0, itemsTotal: 5, tokensDone: 0, tokensTotal: 10, seconds: 0, documentsPerLanguage: [:])
        XCTAssertNil(p.eta)
        XCTAssertTrue(p.line.contains("ETA ?"), p.line)
        p = IngestProgress(itemsDone: 5, itemsTotal: 5, tokensDone: 10, tokensTotal: 10, seconds: 75, documentsPerLanguage: ["C": 5])
        XCTAssertEqual(p.line, "ingest 5/5 documents · 10/10 tokens · 0 tokens/s · done in 1m15s · C 5")
    }
}
