import Foundation
import GRDB
import XCTest
@testable import PolylensStore

/// Schema version 5: named sets that are never silently replaced, ablation runs that carry their set's identity
/// and settings with per-document NLL, and version-1 files that still read (and upgrade when written).
final class ResultProvenanceTests: XCTestCase {
    private let n = { NeuronRef(layer: $0, neuron: $1) }

    func testContentHashIsTheDocumentedText() {
        // python3: hashlib.sha256(b"C\t0:8,2:4\nC#\t1:39\nPython\t\n").hexdigest()
        let set: [String: [NeuronRef]] = ["Python": [], "C#": [n(1, 39)], "C": [n(2, 4), n(0, 8)]]
        XCTAssertEqual(NeuronSetRecord.contentSHA256(of: set), "d9e8bb7d5515cef74de35d21276a19f8af5c4c9eecf3cf8f0f0a64cc7bcaf909")
        XCTAssertNotEqual(NeuronSetRecord.contentSHA256(of: ["C": [n(0, 8)]]), NeuronSetRecord.contentSHA256(of: ["C": [n(8, 0)]]))
    }

    func testASavedSetIsRefusedUnlessReplaced() throws {
        let (file, run) = try StoreFixture.makeFile(at: try StoreFixture.directory(self).appendingPathComponent("s.polylens"))
        let first = try file.saveNeuronSet(run: run, name: "lape", neurons: ["C": [n(0, 1)]], parametersJSON: #"{"value":400}"#)
        XCTAssertThrowsError(try file.saveNeuronSet(run: run, name: "lape", neurons: ["C": [n(0, 2)]], parametersJSON: "{}")) {
            XCTAssertTrue("\($0)".contains("already has a neuron set named lape"), "\($0)")
        }
        XCTAssertEqual(try file.neuronSet(run: run, name: "lape"), ["C": [n(0, 1)]], "a refused save changes nothing")
        let second = try file.saveNeuronSet(run: run, name: "lape", neurons: ["C": [n(0, 2), n(1, 3)]], parametersJSON: "{}", replace: true)
        XCTAssertNotEqual(first, second)
        let records = try file.neuronSetRecords(run: run)
        XCTAssertEqual(records.map(\.name), ["lape"])
        XCTAssertEqual(records[0].contentSHA256, second)
        XCTAssertEqual(records[0].sizes, ["C": 2])
        try file.deleteNeuronSet(run: run, name: "lape")
        XCTAssertEqual(try file.neuronSetRecords(run: run), [])
        XCTAssertThrowsError(try file.deleteNeuronSet(run: run, name: "lape")) { XCTAssertTrue("\($0)".contains("no neuron set named lape")) }
    }

    func testAnAblationRunKeepsItsSetIdentityAndPerDocumentNLL() throws {
        let (file, run) = try StoreFixture.makeFile(at: try StoreFixture.directory(self).appendingPathComponent("a.polylens"))
        let hash = try file.saveNeuronSet(run: run, name: "lape", neurons: ["C": [n(0, 1)]], parametersJSON: #"{"value":5}"#)
        let heldC = try file.heldOutDocuments(run: run, language: "C")
        XCTAssertEqual(heldC.count, 2)
        XCTAssertEqual(heldC.map(\.document), try file.documents(run: run, language: "C", heldOut: true))
        let ablation = AblationRun(run: run, setName: "lape", setSHA256: hash, setParametersJSON: #"{"value":5}"#,
                                   parametersJSON: #"{"control_seeds":[0,1]}"#)
        let rows = [AblationResult(run: run, setName: "lape", control: false, controlSeed: nil, ablatedLanguage: "C",
                                   evalLanguage: "C", tokens: 30, nllBefore: 2, nllAfter: 2.5)]
        let documents = heldC.enumerated().flatMap { k, d in
            [nil, 0, 1].map { seed in
                AblationDocumentResult(ablatedLanguage: "C", controlSeed: seed, document: d.id, evalLanguage: "C", tokens: 10 + k,
                                       nllBefore: 2, nllAfter: seed == nil ? 2.5 : 2.01)
            }
        }
        let id = try file.saveAblation(ablation, results: rows, documents: documents)
        let stored = try file.ablationRuns(run: run)
        XCTAssertEqual(stored.count, 1)
        XCTAssertEqual(stored[0].id, id)
        XCTAssertEqual([stored[0].setName, stored[0].setSHA256, stored[0].setParametersJSON, stored[0].parametersJSON],
                       ["lape", hash, #"{"value":5}"#, #"{"control_seeds":[0,1]}"#])
        XCTAssertEqual(try file.ablationResults(run: run).map(\.ablationID), [id])
        let back = try file.ablationDocuments(ablation: id)
        XCTAssertEqual(back.count, 6)
        XCTAssertEqual(back.map(\.controlSeed), [nil, nil, 0, 0, 1, 1], "the set first, then each seed, documents by id")
        XCTAssertEqual(Set(back), Set(documents))

        // A Python document cannot be recorded as C, nor a counted one at all: nothing of the ablation is written.
        let python = try XCTUnwrap(try file.heldOutDocuments(run: run, language: "Python").first)
        XCTAssertThrowsError(try file.saveAblation(ablation, results: rows, documents: [
            AblationDocumentResult(ablatedLanguage: "C", controlSeed: nil, document: python.id, evalLanguage: "C", tokens: 1, nllBefore: 1, nllAfter: 1),
        ])) { XCTAssertTrue("\($0)".contains("is not a held-out C document"), "\($0)") }
        XCTAssertEqual(try file.ablationRuns(run: run).count, 1)
        XCTAssertEqual(try file.ablationResults(run: run).count, 1)

        // Replacing or deleting the set leaves the ablation's record of it as it was.
        try file.deleteNeuronSet(run: run, name: "lape")
        XCTAssertEqual(try file.ablationRuns(run: run).first?.setSHA256, hash)
        try file.deleteAblationRun(run: run, id: id)
        XCTAssertEqual(try file.ablationRuns(run: run), [])
        XCTAssertEqual(try file.ablationResults(run: run), [], "its rows go with it")
        XCTAssertEqual(try file.ablationDocuments(ablation: id), [], "and its per-document results")
        XCTAssertThrowsError(try file.deleteAblationRun(run: run, id: id)) { XCTAssertTrue("\($0)".contains("no ablation \(id)")) }
    }

    /// A file as Polylens wrote it at schema version 1, with a set and unrecorded ablation rows.
    private func versionOneFile() throws -> URL {
        let url = try StoreFixture.directory(self).appendingPathComponent("v1.polylens")
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { db in
            try db.execute(sql: try XCTUnwrap(PolylensFile.migrations.first { $0.version == 1 }).sql)
            try db.execute(sql: "PRAGMA user_version = 1")
            try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('001_initial')")
            try db.execute(sql: """
                INSERT INTO runs VALUES (1, 'm', 'hf', 'ab', 't', 'cd', '{}', '{}', '0.1.0', '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z')
                """)
            try db.execute(sql: "INSERT INTO neuron_sets VALUES (1, 1, 'lape', '{\"value\":400}', '2026-11-25T00:00:00Z')")
            try db.execute(sql: "INSERT INTO neuron_set_members VALUES (1, 'C', ?, ?)",
                           arguments: [BlobCodec.encode([Int32(0), 1]), BlobCodec.encode([Int32(5), 7])])
            for (e, after) in [("C", 2.5), ("Python", 2.1)] {
                try db.execute(sql: "INSERT INTO ablation_results VALUES (NULL, 1, 'lape', 0, NULL, 'C', ?, 100, 2.0, ?, '2026-11-25T00:00:00Z')",
                               arguments: [e, after])
            }
        }
        try queue.close()
        return url
    }

    func testAVersionOneFileReadsAsItIsAndUpgradesWhenWritten() throws {
        let url = try versionOneFile()
        let old = try PolylensFile.open(url)
        XCTAssertEqual(try old.neuronSetRecords(run: 1).map(\.contentSHA256), [nil])
        XCTAssertEqual(try old.neuronSetRecords(run: 1).map(\.sizes), [["C": 2]])
        XCTAssertEqual(try old.ablationRuns(run: 1), [])
        XCTAssertEqual(try old.ablationResults(run: 1).map(\.ablationID), [nil, nil])
        XCTAssertEqual(try old.ablationResults(run: 1).map(\.nllAfter), [2.5, 2.1])
        try old.close()
        let header = try DatabaseQueue(path: url.path)
        XCTAssertEqual(try header.read { try Int.fetchOne($0, sql: "PRAGMA user_version") }, 1, "reading does not upgrade")
        try header.close()

        let upgraded = try PolylensFile.open(url, readOnly: false)
        XCTAssertEqual(try upgraded.ablationResults(run: 1).map(\.ablationID), [nil, nil], "old rows stay, unrecorded")
        XCTAssertEqual(try upgraded.neuronSet(run: 1, name: "lape"), ["C": [n(0, 5), n(1, 7)]])
        XCTAssertEqual(try upgraded.deleteLegacyAblationResults(run: 1, setName: "lape"), 2)
        XCTAssertEqual(try upgraded.ablationResults(run: 1), [])
        try upgraded.close()
        XCTAssertEqual(try PolylensFile.open(url).verify().schemaVersion, PolylensFile.schemaVersion)
    }
}
