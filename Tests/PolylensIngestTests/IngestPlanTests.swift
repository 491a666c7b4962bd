import Foundation
import XCTest
import PolylensModel
import PolylensTokenizer
@testable import PolylensIngest

/// The plan on real files: documents it does not keep in memory are read again, identically, and a file
/// that changed in between is an error rather than a document stored under the wrong hash.
final class IngestPlanTests: XCTestCase {
    private func ingestor(_ specs: [CorpusSpec]) throws -> Ingestor {
        var o = IngestOptions(corpus: specs)
        o.maxDocTokens = 200
        o.maxTokensPerLanguage = 3000
        return try Ingestor(weights: try HuggingFaceCheckpoint(directory: IngestorTests.model), modelPath: IngestorTests.model.path,
                            tokenizer: try TokenizerLoader.load(IngestorTests.tokenizerURL), tokenizerURL: IngestorTests.tokenizerURL, options: o)
    }

    func testDocumentsNotKeptAreTokenizedAgainTheSame() throws {
        let ing = try ingestor([try .files("Python=/usr/lib/python3.11/[a-c]*.py"), try .files("Perl=/usr/share/perl/5.36.0/[A-C]*.pm")])
        let kept = try ing.plan(committed: [], spent: [:], committedPrompts: [])
        let read = try ing.plan(committed: [], spent: [:], committedPrompts: [], keeping: 0)
        XCTAssertGreaterThan(kept.documents.count, 10)
        XCTAssertTrue(kept.documents.allSatisfy { $0.tokens != nil })
        XCTAssertTrue(read.documents.allSatisfy { $0.tokens == nil })
        XCTAssertEqual(kept.tokensToCompute, read.tokensToCompute)
        for (a, b) in zip(kept.documents, read.documents) {
            XCTAssertEqual(try ing.tokens(of: a), try ing.tokens(of: b), a.document.source)
            XCTAssertEqual(a.tokens?.count, a.tokenCount)
        }
        // The budget: 3,000 tokens per language at most, the rest counted as over budget.
        for language in ["Python", "Perl"] {
            XCTAssertLessThanOrEqual(kept.documents.filter { $0.key.language == language }.reduce(0) { $0 + $1.tokenCount }, 3000)
        }
        XCTAssertGreaterThan(kept.overBudget, 0)
    }

    func testAFileChangedAfterThePlanIsAnError() throws {
        let path = try temporaryDirectory() + "/script.sh"
        try "#!/bin/sh\necho one\n".write(toFile: path, atomically: true, encoding: .utf8)
        let ing = try ingestor([try .files("Shell=\(path)")])
        let plan = try ing.plan(committed: [], spent: [:], committedPrompts: [], keeping: 0)
        try "#!/bin/sh\necho two\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ing.tokens(of: try XCTUnwrap(plan.documents.first))) {
            XCTAssertEqual("\($0)", "\(path): changed while the ingest was running; run the command again")
        }
    }
}
