import Foundation
import XCTest
import PolylensModel
@testable import PolylensStore

/// `verify` counts the blobs it will check before it starts, so its progress has a true total.
final class FileVerifierProgressTests: XCTestCase {
    func testProgressCountsEveryBlobOnce() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("progress.polylens")
        let (file, _) = try StoreFixture.makeFile(at: url)
        var seen: [WorkProgress] = []
        let report = try file.verify { seen.append($0) }
        XCTAssertTrue(report.isSound, report.problems.joined(separator: "\n"))
        XCTAssertEqual(seen.count, report.blobsChecked)
        XCTAssertEqual(seen.map(\.done), Array(1...report.blobsChecked))
        XCTAssertTrue(seen.allSatisfy { $0.total == report.blobsChecked && $0.task == "verify" && $0.unit == "blobs" })
        XCTAssertTrue(seen.last?.isFinished == true)
    }
}
