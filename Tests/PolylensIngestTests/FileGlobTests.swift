import Foundation
import XCTest
@testable import PolylensIngest

final class FileGlobTests: XCTestCase {
    /// `**` against an independent recursive listing of the Python standard library.
    func testRecursiveMatchesDirectoryWalk() throws {
        let root = "/usr/lib/python3.11"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: root), "no \(root) on this machine")
        var expected: [String] = []
        let walker = FileManager.default.enumerator(at: URL(fileURLWithPath: root), includingPropertiesForKeys: [.isRegularFileKey],
                                                    options: [.skipsHiddenFiles])!
        for case let url as URL in walker where url.pathExtension == "py" {
            // A link to a file counts, as in a shell.
            if (try url.resolvingSymlinksInPath().resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
                expected.append(url.path)
            }
        }
        let found = FileGlob.files(matching: root + "/**/*.py")
        XCTAssertGreaterThan(found.count, 500)
        XCTAssertEqual(found, found.sorted())
        XCTAssertEqual(Set(found).symmetricDifference(expected).sorted(), [])
    }

    func testSingleLevelPatternAndSortedOrder() throws {
        let found = FileGlob.files(matching: "/usr/include/std*.h")
        let expected = try FileManager.default.contentsOfDirectory(atPath: "/usr/include")
            .filter { $0.hasPrefix("std") && $0.hasSuffix(".h") }.map { "/usr/include/" + $0 }.sorted()
        XCTAssertFalse(found.isEmpty)
        XCTAssertEqual(found, expected)
        XCTAssertTrue(found.contains("/usr/include/stdio.h"))
    }

    func testCharacterClassesAndLiteralPaths() {
        XCTAssertEqual(FileGlob.files(matching: "/usr/include/std[i]o.h"), ["/usr/include/stdio.h"])
        XCTAssertEqual(FileGlob.files(matching: "/usr/include/stdio.h"), ["/usr/include/stdio.h"])
        XCTAssertEqual(FileGlob.files(matching: "/usr/include/no-such-header-*.h"), [])
        // A directory is not a document.
        XCTAssertEqual(FileGlob.files(matching: "/usr/include"), [])
    }

    func testDoubleStarMatchesZeroDirectories() {
        let direct = FileGlob.files(matching: "/usr/lib/python3.11/*.py")
        let recursive = Set(FileGlob.files(matching: "/usr/lib/python3.11/**/*.py"))
        XCTAssertFalse(direct.isEmpty)
        XCTAssertTrue(Set(direct).isSubset(of: recursive))
    }
}
