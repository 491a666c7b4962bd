import Foundation
import XCTest
@testable import PolylensStore

/// Every worked query in Queries/ runs on a file built here, and its answer is recomputed through the API.
final class QueriesTests: XCTestCase {
    private var console: SQLConsole!
    private var file: PolylensFile!
    private var run: Int64 = 0

    override func setUpWithError() throws {
        let url = try StoreFixture.directory(self).appendingPathComponent("q.polylens")
        (file, run) = try StoreFixture.makeFile(at: url)
        try file.storeUnembedding(run: run, finalNorm: [1, 1], matrix: [1, 2, 3, 4], vocab: 2, dim: 2)
        try file.saveNeuronSet(run: run, name: "s", neurons: ["C": [NeuronRef(layer: 0, neuron: 1)]], parametersJSON: "{}")
        console = try SQLConsole(url)
    }

    private func query(_ name: String) throws -> [[SQLValue]] {
        let url = StoreFixture.repository.appendingPathComponent("Queries/\(name).sql")
        return try console.query(try String(contentsOf: url, encoding: .utf8)).rows
    }

    private func real(_ v: SQLValue) -> Double {
        switch v {
        case .real(let d): d
        case .integer(let i): Double(i)
        default: .nan
        }
    }

    func testEveryQueryFileIsTested() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: StoreFixture.repository.appendingPathComponent("Queries").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        XCTAssertEqual(files, ["activation_rate_per_layer.sql", "compression_per_table.sql", "documents_per_language.sql",
                               "language_centroid_cosine.sql", "language_selective_neurons.sql", "neurons_active_for_every_language.sql",
                               "parallel_similarity_per_layer.sql"])
    }

    func testDocumentsPerLanguage() throws {
        let rows = try query("documents_per_language")
        var expected: [[SQLValue]] = []
        for language in ["C", "Python"] {
            let counted = try file.documents(run: run, language: language, heldOut: false)
            let held = try file.documents(run: run, language: language, heldOut: true)
            expected.append([.integer(run), .text(language), .integer(Int64(counted.count)),
                             .integer(Int64(counted.map(\.tokens).reduce(0, +))), .integer(Int64(counted.map(\.bytes).reduce(0, +))),
                             .integer(Int64(held.count)), .integer(Int64(held.map(\.tokens).reduce(0, +)))])
        }
        XCTAssertEqual(rows, expected)
        // The statistics count exactly the counted documents' tokens.
        for s in try file.neuronStats(run: run) {
            XCTAssertEqual(s.tokens, Int64(try file.documents(run: run, language: s.language, heldOut: false).map(\.tokens).reduce(0, +)))
        }
    }

    func testActivationRatePerLayer() throws {
        let rows = try query("activation_rate_per_layer")
        let stats = try file.neuronStats(run: run)
        XCTAssertEqual(rows.count, stats.count)
        for (row, s) in zip(rows, stats) {
            let p = s.active.map { Double($0) / Double(s.tokens) }
            XCTAssertEqual(Array(row[0..<4]), [.integer(run), .text(s.language), .integer(Int64(s.layer)), .integer(s.tokens)])
            XCTAssertEqual(real(row[4]), p.reduce(0, +) / Double(p.count), accuracy: 1e-12)
            XCTAssertEqual(row[5], .integer(Int64(p.filter { $0 > 0.5 }.count)))
            XCTAssertEqual(row[6], .integer(Int64(StoreFixture.neurons)))
        }
    }

    func testLanguageSelectiveNeurons() throws {
        let rows = try query("language_selective_neurons")
        let stats = try file.neuronStats(run: run)
        var expected: [(layer: Int, neuron: Int, language: String, p: Double, h: Double)] = []
        for layer in 0..<StoreFixture.layers {
            let perLanguage = stats.filter { $0.layer == layer }
            var scored: [(neuron: Int, language: String, p: Double, h: Double)] = []
            for i in 0..<StoreFixture.neurons {
                let p = perLanguage.map { Double($0.active[i]) / Double($0.tokens) }
                let total = p.reduce(0, +)
                guard total > 0 else { continue }
                let h = -p.map { $0 / total }.filter { $0 > 0 }.map { $0 * log($0) }.reduce(0, +)
                let top = p.indices.max { p[$0] < p[$1] }!
                scored.append((i, perLanguage[top].language, p[top], h))
            }
            scored.sort { ($0.h, $0.neuron) < ($1.h, $1.neuron) }
            expected += scored.prefix(5).map { (layer, $0.neuron, $0.language, $0.p, $0.h) }
        }
        XCTAssertEqual(rows.count, expected.count)
        for (k, (row, e)) in zip(rows, expected).enumerated() {
            XCTAssertEqual(Array(row[0..<5]), [.integer(run), .integer(Int64(e.layer)), .integer(Int64(k % 5 + 1)),
                                               .integer(Int64(e.neuron)), .text(e.language)])
            XCTAssertEqual(real(row[5]), e.p, accuracy: 1e-12)
            XCTAssertEqual(real(row[6]), e.h, accuracy: 1e-9)
        }
        // The fixture biases neurons 0 mod 4 to C and 1 mod 4 to Python: those must dominate the ranking.
        XCTAssertTrue(expected.allSatisfy { $0.neuron % 4 < 2 })
    }

    func testNeuronsActiveForEveryLanguage() throws {
        let rows = try query("neurons_active_for_every_language")
        let stats = try file.neuronStats(run: run)
        var expected: [[SQLValue]] = []
        for layer in 0..<StoreFixture.layers {
            let shared = (0..<StoreFixture.neurons).filter { i in
                stats.filter { $0.layer == layer }.allSatisfy { Double($0.active[i]) / Double($0.tokens) > 0.5 }
            }
            if !shared.isEmpty {
                expected.append([.integer(run), .integer(Int64(layer)), .integer(Int64(shared.count)),
                                 .text(shared.map(String.init).joined(separator: " "))])
            }
        }
        XCTAssertFalse(expected.isEmpty, "the fixture's neurons 2 mod 4 fire for both languages")
        XCTAssertEqual(rows.map { Array($0[0..<3]) }, expected.map { Array($0[0..<3]) })
        // group_concat's order is unspecified; compare the sets.
        for (row, e) in zip(rows, expected) {
            guard case .text(let got) = row[3], case .text(let want) = e[3] else { return XCTFail() }
            XCTAssertEqual(Set(got.split(separator: " ")), Set(want.split(separator: " ")))
        }
    }

    func testCompressionPerTable() throws {
        let rows = try query("compression_per_table")
        let tables = Dictionary(uniqueKeysWithValues: try file.info().tables.map { ($0.table, $0) })
        XCTAssertEqual(Set(rows.map { $0[0] }), Set(["documents", "neuron_stats", "language_states", "summaries", "lens_prompts", "lens_states",
                                                     "unembedding", "neuron_set_members"].map { SQLValue.text($0) }))
        for row in rows {
            guard case .text(let name) = row[0], let t = tables[name] else { return XCTFail("\(row)") }
            XCTAssertEqual(row[2], .integer(Int64(t.storedBytes)), name)
            XCTAssertEqual(row[3], .integer(Int64(t.rawBytes)), name)
            XCTAssertEqual(real(row[4]), (t.compressionRatio * 1000).rounded() / 1000, accuracy: 1e-9, name)
        }
    }

    func testLanguageCentroidCosine() throws {
        let rows = try query("language_centroid_cosine")
        let states = try file.languageStates(run: run)
        XCTAssertEqual(rows.count, StoreFixture.layers + 1)
        for (layer, row) in rows.enumerated() {
            let c = try XCTUnwrap(states.first { $0.language == "C" && $0.layer == layer })
            let py = try XCTUnwrap(states.first { $0.language == "Python" && $0.layer == layer })
            let (a, b) = (c.mean, py.mean)
            let dot: Double = zip(a, b).map(*).reduce(0, +)
            let na: Double = a.map { $0 * $0 }.reduce(0, +), nb: Double = b.map { $0 * $0 }.reduce(0, +)
            let cosine = dot / (na * nb).squareRoot()
            XCTAssertEqual(Array(row[0..<6]), [.integer(run), .integer(Int64(layer)), .text("C"), .text("Python"),
                                               .integer(c.tokens), .integer(py.tokens)])
            XCTAssertEqual(real(row[6]), cosine, accuracy: 1e-12)
        }
        // The fixture's C and Python directions oppose on half the dimensions: the centroids part with depth.
        XCTAssertLessThan(real(rows.last![6]), real(rows.first![6]))
    }

    func testParallelSimilarityPerLayer() throws {
        let rows = try query("parallel_similarity_per_layer")
        let summaries = try file.summaries(run: run, pooling: .weightedMean).filter { $0.document.itemKey != nil }
        let c = summaries.filter { $0.document.language == "C" }
        let py = Dictionary(uniqueKeysWithValues: summaries.filter { $0.document.language == "Python" }.map { ($0.document.itemKey!, $0.summary) })
        XCTAssertEqual(rows.count, StoreFixture.layers + 1)
        for (layer, row) in rows.enumerated() {
            let cosines = c.map { s -> Double in
                let a = s.summary.layer(layer).map(Double.init), b = py[s.document.itemKey!]!.layer(layer).map(Double.init)
                let dot = zip(a, b).map(*).reduce(0, +)
                return dot / (a.map { $0 * $0 }.reduce(0, +) * b.map { $0 * $0 }.reduce(0, +)).squareRoot()
            }
            XCTAssertEqual(Array(row[0..<5]), [.integer(run), .text("C"), .text("Python"), .integer(Int64(layer)), .integer(3)])
            XCTAssertEqual(real(row[5]), cosines.reduce(0, +) / 3, accuracy: 1e-9)
        }
    }
}
