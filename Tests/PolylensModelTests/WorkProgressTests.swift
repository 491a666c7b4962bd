import XCTest
@testable import PolylensModel

final class WorkProgressTests: XCTestCase {
    func testETAIsTheUnitsLeftAtTheRateSoFar() {
        let p = WorkProgress(task: "ablate", unit: "tokens", done: 12_345, total: 50_000, seconds: 4.9, detail: "set C")
        XCTAssertEqual(try XCTUnwrap(p.eta), 37_655 * 4.9 / 12_345, accuracy: 1e-9)
        XCTAssertEqual(p.line, "ablate 12,345/50,000 tokens · 2,519 tokens/s · ETA 15s · set C")
        XCTAssertNil(WorkProgress(task: "t", unit: "u", done: 0, total: 3, seconds: 1).eta)
        XCTAssertEqual(WorkProgress(task: "lens", unit: "prompts", done: 3, total: 3, seconds: 75).line,
                       "lens 3/3 prompts · 0 prompts/s · done in 1m15s")
    }

    func testDurationsAndCounts() {
        XCTAssertEqual(WorkProgress.duration(3725), "1h02m")
        XCTAssertEqual(WorkProgress.duration(568), "9m28s")
        XCTAssertEqual(WorkProgress.duration(9.4), "9s")
        XCTAssertEqual(WorkProgress.count(0), "0")
        XCTAssertEqual(WorkProgress.count(999), "999")
        XCTAssertEqual(WorkProgress.count(1000), "1,000")
        XCTAssertEqual(WorkProgress.count(-1_234_567), "-1,234,567")
    }

    func testMeterReportsEveryAdvance() {
        var seen: [WorkProgress] = []
        let meter = ProgressMeter(task: "lens", unit: "prompts", total: 2) { seen.append($0) }
        meter.advance(by: 1)
        meter.advance(by: 1, detail: "C→Python")
        XCTAssertEqual(seen.map(\.done), [1, 2])
        XCTAssertEqual(seen.last?.detail, "C→Python")
        XCTAssertTrue(seen.last?.isFinished == true)
    }
}
