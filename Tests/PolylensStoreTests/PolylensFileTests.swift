import Foundation
import GRDB
import XCTest
@testable import PolylensStore

final class PolylensFileTests: XCTestCase {
    func testRoundTripThroughTheAPI() throws {
        let dir = try StoreFixture.directory(self)
        let url = dir.appendingPathComponent("a.polylens")
        let (written, run) = try StoreFixture.makeFile(at: url)
        let c = try StoreFixture.documents(StoreFixture.corpora[0], offset: 0, count: 6)
        let py = try StoreFixture.documents(StoreFixture.corpora[1], offset: 0, count: 6)
        var expected = StoreFixture.batch(Array(c.prefix(3)) + Array(py.prefix(3))).stats
        for (k, delta) in StoreFixture.batch(Array(c.dropFirst(3)) + Array(py.dropFirst(3))).stats.enumerated() {
            expected[k].add(delta)
        }
        for (k, delta) in StoreFixture.batch(StoreFixture.parallelItems(offset: 0)).stats.enumerated() {
            expected[k].add(delta)
        }

        let file = try PolylensFile.open(url)
        XCTAssertEqual(try file.runs().map(\.id), [run])
        XCTAssertEqual(try file.runs().first?.info, StoreFixture.runInfo())
        XCTAssertEqual(try file.languages(run: run), ["C", "Python"])
        let stats = try file.neuronStats(run: run)
        XCTAssertEqual(stats, expected)
        XCTAssertEqual(stats.map(\.layer), [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(stats[0].tokens, Int64(c.map(\.tokens).reduce(0, +) + 3 * 4))

        let documents = try file.documents(run: run)
        XCTAssertEqual(documents.count, 12 + 4 + 6)
        XCTAssertEqual(Array(documents.prefix(3)), Array(c.prefix(3)))
        let held = try file.documents(run: run, language: "Python", heldOut: true)
        XCTAssertEqual(held.count, 2)
        XCTAssertEqual(held, try StoreFixture.documents(StoreFixture.corpora[1], offset: 6, count: 2, heldOut: true))
        XCTAssertNotNil(held[0].tokenIds)
        XCTAssertNil(try file.documents(run: run, language: "C", heldOut: false)[0].tokenIds)
        XCTAssertEqual(try file.documentHashes(run: run).count, 12 + 4 + 3)
        XCTAssertEqual(try file.documentKeys(run: run).count, 22)

        let summaries = try file.summaries(run: run, pooling: .weightedMean)
        XCTAssertEqual(summaries.count, 22)
        let source = StoreFixture.batch(Array(c.prefix(3)) + Array(py.prefix(3))).summaries
            .filter { $0.summary.pooling == .weightedMean }
        for (k, s) in source.enumerated() {
            XCTAssertEqual(summaries[k].summary.layers, StoreFixture.layers + 1)
            for (a, b) in zip(s.summary.values, summaries[k].summary.values) {
                XCTAssertEqual(a, b, accuracy: max(abs(a), 1e-3) / 1024)
            }
        }

        let prompts = try file.lensPrompts(run: run)
        XCTAssertEqual(prompts.count, 2)
        let p = StoreFixture.lensPrompt(source: "C", target: "Python", item: "100-1")
        XCTAssertEqual(prompts[0].tokens, p.tokens)
        XCTAssertEqual(prompts[0].firstPosition, p.firstPosition)
        XCTAssertEqual(prompts[0].states.count, p.states.count)
        for (a, b) in zip(p.states, prompts[0].states) { XCTAssertEqual(a, b, accuracy: max(abs(a), 1e-3) / 1024) }
        XCTAssertEqual(try file.lensPrompts(run: run, source: "Python").map(\.target), ["C"])
        XCTAssertEqual(try file.lensPromptKeys(run: run).count, 2)
        _ = written
    }

    func testUnembeddingNeuronSetsAndAblations() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("b.polylens")
        let (file, run) = try StoreFixture.makeFile(at: url)
        XCTAssertNil(try file.unembedding(run: run))
        var rng = SplitMix64(seed: 9)
        let vocab = 300, dim = StoreFixture.dim
        let norm = (0..<dim).map { _ in Float(1 + rng.gaussian() * 0.1) }
        let matrix = (0..<(vocab * dim)).map { _ in Float(rng.gaussian() * 0.05) }
        try file.storeUnembedding(run: run, finalNorm: norm, matrix: matrix, vocab: vocab, dim: dim)
        let u = try XCTUnwrap(try file.unembedding(run: run))
        XCTAssertEqual(u.finalNorm, norm)
        XCTAssertEqual(u.vocab, vocab)
        for (a, b) in zip(matrix, u.matrix) { XCTAssertEqual(a, b, accuracy: max(abs(a), 1e-4) / 1024) }
        XCTAssertThrowsError(try file.storeUnembedding(run: run, finalNorm: norm, matrix: matrix, vocab: vocab + 1, dim: dim))

        let set: [String: [NeuronRef]] = ["C": [NeuronRef(layer: 2, neuron: 4), NeuronRef(layer: 0, neuron: 8)],
                                          "Python": [], "C#": [NeuronRef(layer: 1, neuron: 39)]]
        try file.saveNeuronSet(run: run, name: "lape", neurons: set, parametersJSON: "{\"nu\":400}")
        XCTAssertEqual(try file.neuronSet(run: run, name: "lape"), set.mapValues { $0.sorted() })
        try file.saveNeuronSet(run: run, name: "lape", neurons: ["C": [NeuronRef(layer: 1, neuron: 1)]], parametersJSON: "{}", replace: true)
        XCTAssertEqual(try file.neuronSet(run: run, name: "lape"), ["C": [NeuronRef(layer: 1, neuron: 1)]])
        XCTAssertEqual(try file.neuronSetParameters(run: run, name: "lape"), "{}")
        XCTAssertEqual(try file.neuronSetNames(run: run), ["lape"])
        XCTAssertThrowsError(try file.neuronSet(run: run, name: "missing")) { error in
            XCTAssertTrue("\(error)".contains("no neuron set named missing"))
        }

        let results = [
            AblationResult(run: run, setName: "lape", control: false, controlSeed: nil, ablatedLanguage: "C",
                           evalLanguage: "Python", tokens: 1200, nllBefore: 1.25, nllAfter: 1.5),
            AblationResult(run: run, setName: "lape", control: true, controlSeed: 42, ablatedLanguage: "C",
                           evalLanguage: "C", tokens: 900, nllBefore: 1.0, nllAfter: 1.01),
        ]
        for r in results { try file.saveAblationResult(r) }
        XCTAssertEqual(try file.ablationResults(run: run), results)
        XCTAssertEqual(results[0].perplexityAfter, exp(1.5), accuracy: 1e-12)
    }

    func testBeginRunResumesTheSameConfiguration() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("r.polylens")
        let file = try PolylensFile.create(url)
        let run = try file.beginRun(StoreFixture.runInfo())
        XCTAssertEqual(try file.beginRun(StoreFixture.runInfo()), run)
        XCTAssertEqual(try PolylensFile.create(url).beginRun(StoreFixture.runInfo()), run, "reopening resumes too")
        XCTAssertNotEqual(try file.beginRun(StoreFixture.runInfo(parameters: "{\"max_doc_tokens\":128}")), run)
        XCTAssertNotEqual(try file.beginRun(StoreFixture.runInfo(modelSHA: String(repeating: "ef", count: 32))), run)
        XCTAssertEqual(try file.runs().count, 3)
    }

    /// An interrupted ingest that resumes (skipping what documentKeys reports) ends equal to an uninterrupted one,
    /// and a batch repeating a committed document is refused whole.
    func testResumedCommitsEqualOneRunAndDuplicatesAreRefused() throws {
        let dir = try StoreFixture.directory(self)
        let docs = try StoreFixture.documents(StoreFixture.corpora[1], offset: 20, count: 8)

        let whole = try PolylensFile.create(dir.appendingPathComponent("whole.polylens"))
        let w = try whole.beginRun(StoreFixture.runInfo())
        for chunk in stride(from: 0, to: 8, by: 2) { try whole.commit(run: w, batch: StoreFixture.batch(Array(docs[chunk..<(chunk + 2)]))) }

        let resumedURL = dir.appendingPathComponent("resumed.polylens")
        do {
            let first = try PolylensFile.create(resumedURL)
            let r = try first.beginRun(StoreFixture.runInfo())
            try first.commit(run: r, batch: StoreFixture.batch(Array(docs[0..<2])))
            try first.commit(run: r, batch: StoreFixture.batch(Array(docs[2..<4])))
        }
        let second = try PolylensFile.create(resumedURL)
        let r = try second.beginRun(StoreFixture.runInfo())
        let done = try second.documentKeys(run: r)
        XCTAssertEqual(done.count, 4)
        let before = try second.neuronStats(run: r)
        XCTAssertThrowsError(try second.commit(run: r, batch: StoreFixture.batch(Array(docs[3..<5])))) { error in
            XCTAssertTrue("\(error)".contains("is already in run"), "\(error)")
        }
        XCTAssertEqual(try second.neuronStats(run: r), before, "a refused batch leaves no trace")
        XCTAssertEqual(try second.documents(run: r).count, 4)
        let rest = docs.filter { !done.contains(DocumentKey($0)) }
        for chunk in stride(from: 0, to: rest.count, by: 2) { try second.commit(run: r, batch: StoreFixture.batch(Array(rest[chunk..<(chunk + 2)]))) }

        XCTAssertEqual(try second.neuronStats(run: r), try whole.neuronStats(run: w))
        XCTAssertEqual(try second.documents(run: r), try whole.documents(run: w))
    }

    func testMalformedBatchesAreRefusedBeforeWriting() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("m.polylens")
        let file = try PolylensFile.create(url)
        let run = try file.beginRun(StoreFixture.runInfo())
        let docs = try StoreFixture.documents(StoreFixture.corpora[0], offset: 30, count: 1)
        var bad = StoreFixture.batch(docs)
        bad.summaries[0].summary.values.removeLast()
        XCTAssertThrowsError(try file.commit(run: run, batch: bad))
        var wide = StoreFixture.batch(docs)
        wide.stats[0] = NeuronStats(language: "C", layer: 0, neurons: StoreFixture.neurons + 1)
        try file.commit(run: run, batch: StoreFixture.batch(try StoreFixture.documents(StoreFixture.corpora[0], offset: 31, count: 1)))
        XCTAssertThrowsError(try file.commit(run: run, batch: wide)) { error in
            XCTAssertTrue("\(error)".contains("neurons in layer 0"), "\(error)")
        }
        XCTAssertThrowsError(try file.commit(run: run + 5, batch: StoreFixture.batch(docs))) { error in
            XCTAssertTrue("\(error)".contains("no run"), "\(error)")
        }
        XCTAssertEqual(try file.documents(run: run).count, 1)
    }

    func testFilesThatAreNotPolylensAreRefusedClearly() throws {
        let dir = try StoreFixture.directory(self)
        let text = dir.appendingPathComponent("notes.txt")
        let content = "just some text that is long enough to look like a header\n"
        try Data(content.utf8).write(to: text)
        assertError(try PolylensFile.open(text), contains: "not a Polylens file (not an SQLite database)")
        assertError(try PolylensFile.create(text), contains: "not a Polylens file (not an SQLite database)")
        XCTAssertEqual(try String(contentsOf: text, encoding: .utf8), content, "the file is untouched")

        let other = dir.appendingPathComponent("other.sqlite")
        let queue = try DatabaseQueue(path: other.path)
        try queue.write { try $0.execute(sql: "CREATE TABLE t(x); INSERT INTO t VALUES (1)") }
        try queue.close()
        assertError(try PolylensFile.open(other), contains: "not a Polylens file (an SQLite database")
        assertError(try PolylensFile.create(other), contains: "not a Polylens file")
        assertError(try PolylensFile.open(dir.appendingPathComponent("missing.polylens")), contains: "no such file")
        assertError(try PolylensFile.open(dir), contains: "is a directory")
    }

    func testNewerSchemaIsRefused() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("new.polylens")
        _ = try StoreFixture.makeFile(at: url)
        let queue = try DatabaseQueue(path: url.path)
        try queue.write { try $0.execute(sql: "PRAGMA user_version = \(PolylensFile.schemaVersion + 1)") }
        try queue.close()
        assertError(try PolylensFile.open(url), contains: "written by a newer Polylens (schema version \(PolylensFile.schemaVersion + 1)")
        assertError(try PolylensFile.create(url), contains: "newer Polylens")
    }

    func testUnwritableDestinationsFailClearlyAndLoseNothing() throws {
        let dir = try StoreFixture.directory(self)
        let locked = dir.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        let url = locked.appendingPathComponent("a.polylens")
        let (file, run) = try StoreFixture.makeFile(at: url)
        let stats = try file.neuronStats(run: run)
        try file.close()
        let reader = try PolylensFile.open(url)
        assertError(try reader.beginRun(StoreFixture.runInfo()), contains: "opened read-only")
        assertError(try PolylensFile.create(dir.appendingPathComponent("absent/new.polylens")), contains: "does not exist")

        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: url.path)
        XCTAssertEqual(try PolylensFile.open(url).neuronStats(run: run), stats, "nothing lost")
        if getuid() == 0 { throw XCTSkip("permissions do not bind root") }
        assertError(try PolylensFile.create(locked.appendingPathComponent("new.polylens")), contains: "directory \(locked.path) is not writable")
        assertError(try PolylensFile.create(url), contains: "file is not writable")
    }

    func testReadersSeeCommittedDataWhileAWriterIsOpen() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("wal.polylens")
        let writer = try PolylensFile.create(url)
        let run = try writer.beginRun(StoreFixture.runInfo())
        let reader = try PolylensFile.open(url)
        XCTAssertEqual(try reader.documents(run: run).count, 0)
        try writer.commit(run: run, batch: StoreFixture.batch(try StoreFixture.documents(StoreFixture.corpora[0], offset: 40, count: 2)))
        XCTAssertEqual(try reader.documents(run: run).count, 2)
        XCTAssertEqual(try writer.queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }, "wal")
    }
}

func assertError<T>(_ expression: @autoclosure () throws -> T, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try expression()
        XCTFail("expected an error containing \"\(text)\"", file: file, line: line)
    } catch {
        XCTAssertTrue("\(error)".contains(text), "\"\(error)\" does not contain \"\(text)\"", file: file, line: line)
    }
}

final class DiskFullTests: XCTestCase {
    /// SQLite reports a full disk when the file may not grow; `max_page_count` makes that happen on demand.
    func testFullDiskFailsClearlyAndLosesNothing() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("full.polylens")
        let (file, run) = try StoreFixture.makeFile(at: url)
        let before = try file.neuronStats(run: run)
        let documents = try file.documents(run: run).count
        try file.queue.writeWithoutTransaction { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
        }
        let big = try StoreFixture.documents(StoreFixture.corpora[1], offset: 50, count: 12)
        assertError(try file.commit(run: run, batch: StoreFixture.batch(big, lensPrompts: (0..<20).map {
            StoreFixture.lensPrompt(source: "C", target: "Python", item: "full-\($0)", tokens: 200, positions: 150)
        })), contains: "disk full")
        XCTAssertEqual(try file.neuronStats(run: run), before)
        XCTAssertEqual(try file.documents(run: run).count, documents)
        XCTAssertTrue(try file.verify().isSound)
    }
}
