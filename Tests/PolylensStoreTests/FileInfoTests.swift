import Foundation
import XCTest
@testable import PolylensStore

final class FileInfoTests: XCTestCase {
    func testInfoCountsAndSizes() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("i.polylens")
        let (file, run) = try StoreFixture.makeFile(at: url)
        let info = try file.info()
        XCTAssertEqual(info.runs.map(\.id), [run])
        let c = try XCTUnwrap(info.runs[0].languages.first { $0.language == "C" })
        let counted = try file.documents(run: run, language: "C", heldOut: false)
        XCTAssertEqual(c.documents, counted.count)
        XCTAssertEqual(c.tokens, counted.map(\.tokens).reduce(0, +))
        XCTAssertEqual(c.heldOutDocuments, 2)
        XCTAssertEqual(info.runs[0].lensPrompts, 2)
        let stats = try XCTUnwrap(info.tables.first { $0.table == "neuron_stats" })
        XCTAssertEqual(stats.rows, 6)
        XCTAssertEqual(stats.blobs, 24)
        XCTAssertEqual(stats.rawBytes, 6 * StoreFixture.neurons * (8 + 8 + 8 + 4))
        XCTAssertEqual(info.blobStoredBytes, info.tables.map(\.storedBytes).reduce(0, +))
    }

    /// Summaries of a real model's width (5 layers × 192, f16: 1920 bytes) must not waste pages: the file stays
    /// close to the bytes of its blobs.
    func testSummariesAreStoredWithoutPageWaste() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("pages.polylens")
        let file = try PolylensFile.create(url)
        let run = try file.beginRun(StoreFixture.runInfo())
        var rng = SplitMix64(seed: 11)
        let documents = (0..<400).map { k in
            DocumentInfo(language: "C", source: "doc\(k)", itemKey: nil, sha256: String(format: "%064x", k), bytes: 100,
                         tokens: 10, heldOut: false, tokenIds: nil)
        }
        let summaries = documents.indices.flatMap { i in
            Pooling.allCases.map { p in
                (documentIndex: i, summary: DocumentSummary(pooling: p, layers: 5, dim: 192,
                                                            values: (0..<960).map { _ in Float(rng.gaussian()) }))
            }
        }
        try file.commit(run: run, batch: IngestBatch(documents: documents, summaries: summaries))
        try file.close()
        let info = try PolylensFile.open(url).info()
        XCTAssertLessThan(Double(info.fileBytes), 1.25 * Double(info.blobStoredBytes), "file \(info.fileBytes) B for \(info.blobStoredBytes) B of blobs")
    }
}
