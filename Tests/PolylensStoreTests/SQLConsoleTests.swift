import Foundation
import GRDB
import XCTest
@testable import PolylensStore

final class SQLConsoleTests: XCTestCase {
    private func fixture() throws -> (URL, PolylensFile, Int64) {
        let url = try StoreFixture.directory(self).appendingPathComponent("sql.polylens")
        let (file, run) = try StoreFixture.makeFile(at: url)
        return (url, file, run)
    }

    func testBlobFunctions() throws {
        let (url, file, run) = try fixture()
        let console = try SQLConsole(url)
        let stats = try file.neuronStats(run: run)
        let r = try console.query("""
            SELECT blob_len(active), blob_at(active, 7), blob_at(sum, 7), blob_at(max, 7), blob_dtype(sumsq), blob_shape(sum),
                   blob_raw_size(active), json_array_length(blob_json(max))
            FROM neuron_stats WHERE language = 'Python' AND layer = 2
            """)
        let s = stats.first { $0.language == "Python" && $0.layer == 2 }!
        XCTAssertEqual(r.rows, [[.integer(Int64(StoreFixture.neurons)), .integer(s.active[7]), .real(s.sum[7]),
                                 .real(Double(s.max[7])), .text("f64"), .text("[\(StoreFixture.neurons)]"),
                                 .integer(Int64(8 * StoreFixture.neurons)), .integer(Int64(StoreFixture.neurons))]])

        let summaries = try file.summaries(run: run, pooling: .mean)
        let (x, y) = (summaries[0].summary, summaries[1].summary)
        func cosine(_ a: [Float], _ b: [Float]) -> Double {
            let a = a.map { Double(Float16($0)) }, b = b.map { Double(Float16($0)) }
            let dot = zip(a, b).map(*).reduce(0, +)
            return dot / (a.map { $0 * $0 }.reduce(0, +) * b.map { $0 * $0 }.reduce(0, +)).squareRoot()
        }
        let c = try console.query("""
            SELECT blob_cosine(a.data, b.data), blob_cosine(a.data, b.data, 2), blob_cosine(a.data, a.data)
            FROM summaries a, summaries b
            WHERE a.pooling = 'mean' AND b.pooling = 'mean' AND a.document_id = 1 AND b.document_id = 2
            """).rows[0]
        guard case .real(let whole) = c[0], case .real(let layer2) = c[1], case .real(let own) = c[2] else {
            return XCTFail("\(c)")
        }
        XCTAssertEqual(whole, cosine(x.values, y.values), accuracy: 1e-9)
        XCTAssertEqual(layer2, cosine(Array(x.layer(2)), Array(y.layer(2))), accuracy: 1e-9)
        XCTAssertEqual(own, 1, accuracy: 1e-12)
        assertError(try console.query("SELECT blob_at(active, 1000) FROM neuron_stats"), contains: "outside 0..<\(StoreFixture.neurons)")
        assertError(try console.query("SELECT blob_len(x'00112233445566778899')"), contains: "bad magic")
    }

    /// The neuron_rows view presents every (run, language, layer, neuron) with the statistics the API returns.
    func testNeuronRowsMatchTheAPI() throws {
        let (url, file, run) = try fixture()
        let rows = try SQLConsole(url).query("SELECT * FROM neuron_rows ORDER BY language, layer, neuron")
        XCTAssertEqual(rows.columns, ["run", "language", "layer", "neuron", "n", "p_active", "mean", "std", "max"])
        let stats = try file.neuronStats(run: run)
        XCTAssertEqual(rows.rows.count, stats.count * StoreFixture.neurons)
        for (k, row) in rows.rows.enumerated() {
            let s = stats[k / StoreFixture.neurons], i = k % StoreFixture.neurons
            let n = Double(s.tokens), mean = s.sum[i] / n
            let std = max(s.sumSquares[i] / n - mean * mean, 0).squareRoot()
            XCTAssertEqual(row[0], .integer(run))
            XCTAssertEqual(row[1], .text(s.language))
            XCTAssertEqual(row[2], .integer(Int64(s.layer)))
            XCTAssertEqual(row[3], .integer(Int64(i)))
            XCTAssertEqual(row[4], .integer(s.tokens))
            XCTAssertEqual(row[5], .real(Double(s.active[i]) / n))
            XCTAssertEqual(row[6], .real(mean))
            guard case .real(let got) = row[7] else { return XCTFail("std \(row[7])") }
            XCTAssertEqual(got, std, accuracy: 1e-12 * max(1, std))
            XCTAssertEqual(row[8], .real(Double(s.max[i])))
        }
    }

    /// Someone else's file cannot make the console write or reach outside the file.
    func testConsoleCannotWrite() throws {
        let (url, file, run) = try fixture()
        let before = try file.neuronStats(run: run)
        let console = try SQLConsole(url)
        for statement in ["DELETE FROM neuron_stats", "UPDATE runs SET model_path = 'x'", "DROP TABLE documents",
                          "CREATE TABLE t(x)", "PRAGMA user_version = 99", "INSERT INTO runs DEFAULT VALUES",
                          "CREATE TEMP TABLE t(x)"] {
            XCTAssertThrowsError(try console.query(statement), statement)
        }
        XCTAssertThrowsError(try console.query("ATTACH DATABASE '\(url.deletingLastPathComponent().path)/x.db' AS x"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.deletingLastPathComponent().appendingPathComponent("x.db").path))
        XCTAssertEqual(try PolylensFile.open(url).neuronStats(run: run), before)
        XCTAssertEqual(try console.query("PRAGMA query_only").rows, [[.integer(1)]])
        XCTAssertEqual(try console.query("PRAGMA trusted_schema").rows, [[.integer(0)]])
    }

    /// neuron_rows is a read-only virtual table: pushed-down constraints, the natural order and a self-join give
    /// what a full scan filtered afterwards gives; writes are refused.
    func testNeuronRowsConstraintsAndOrder() throws {
        let (url, file, run) = try fixture()
        let console = try SQLConsole(url)
        let all = try console.query("SELECT * FROM neuron_rows").rows
        XCTAssertEqual(all.count, try file.neuronStats(run: run).count * StoreFixture.neurons)
        func scan(_ keep: ([SQLValue]) -> Bool) -> [[SQLValue]] { all.filter(keep) }
        XCTAssertEqual(try console.query("SELECT * FROM neuron_rows WHERE layer = 1 AND neuron = 5").rows,
                       scan { $0[2] == .integer(1) && $0[3] == .integer(5) })
        XCTAssertEqual(try console.query("SELECT * FROM neuron_rows WHERE language = 'Python' AND run = \(run)").rows,
                       scan { $0[1] == .text("Python") })
        XCTAssertEqual(try console.query("SELECT count(*) FROM neuron_rows WHERE neuron = \(StoreFixture.neurons)").rows, [[.integer(0)]])
        XCTAssertEqual(try console.query("SELECT count(*) FROM neuron_rows WHERE neuron = NULL OR neuron = 'x'").rows, [[.integer(0)]])
        XCTAssertEqual(try console.query("SELECT count(*) FROM neuron_rows WHERE neuron IN (1, 3) AND layer > 0").rows,
                       [[.integer(Int64(scan { ($0[3] == .integer(1) || $0[3] == .integer(3)) && $0[2] != .integer(0) }.count))]])
        let descending = try console.query("SELECT neuron FROM neuron_rows WHERE language = 'C' AND layer = 0 ORDER BY run, language, layer, neuron DESC").rows
        XCTAssertEqual(descending, (0..<StoreFixture.neurons).reversed().map { [.integer(Int64($0))] })
        // A self-join finds each (layer, neuron) once per language pair.
        let pairs = try console.query("""
            SELECT count(*), sum(a.p_active > b.p_active) FROM neuron_rows a JOIN neuron_rows b
            ON a.run = b.run AND a.layer = b.layer AND a.neuron = b.neuron AND a.language = 'C' AND b.language = 'Python'
            """).rows
        let c = scan { $0[1] == .text("C") }, py = scan { $0[1] == .text("Python") }
        let greater = zip(c, py).filter { x, y in
            guard case .real(let u) = x[5], case .real(let v) = y[5] else { return false }
            return u > v
        }.count
        XCTAssertEqual(pairs, [[.integer(Int64(StoreFixture.layers * StoreFixture.neurons)), .integer(Int64(greater))]])
        // A virtual table, not a materialized TEMP table (the TEMP views are issue 12's over contexts and histograms).
        XCTAssertEqual(try console.query("SELECT count(*) FROM sqlite_temp_master WHERE name = 'neuron_rows'").rows, [[.integer(0)]])
        for statement in ["DELETE FROM neuron_rows", "INSERT INTO neuron_rows SELECT * FROM neuron_rows",
                          "UPDATE neuron_rows SET n = 0"] {
            XCTAssertThrowsError(try console.query(statement), statement)
        }
    }

    /// A damaged statistics blob is named when neuron_rows reaches it.
    func testNeuronRowsNamesADamagedBlob() throws {
        let (url, file, _) = try fixture()
        try file.close()
        let db = try DatabaseQueue(path: url.path)
        try db.write { try $0.execute(sql: "UPDATE neuron_stats SET sum = x'00' WHERE language = 'Python' AND layer = 1") }
        try db.close()
        let console = try SQLConsole(url)
        XCTAssertEqual(try console.query("SELECT count(*) FROM neuron_rows WHERE language = 'C'").rows.count, 1)
        assertError(try console.query("SELECT count(*) FROM neuron_rows"), contains: "neuron_stats(Python, layer 1).sum: not a Polylens blob")
    }

    func testSeveralStatementsRunInOrder() throws {
        let (url, _, _) = try fixture()
        let console = try SQLConsole(url)
        let results = try console.run("SELECT 1 AS a; SELECT language FROM neuron_stats GROUP BY language ORDER BY 1;")
        XCTAssertEqual(results, [SQLResult(columns: ["a"], rows: [[.integer(1)]]),
                                 SQLResult(columns: ["language"], rows: [[.text("C")], [.text("Python")]])])
        assertError(try console.query("SELECT 1; SELECT 2"), contains: "expected one SQL statement, found 2")
        assertError(try console.run("SELECT 1; DELETE FROM runs"), contains: "sql is read-only, refused: DELETE FROM runs")
    }

    func testBlobDescription() {
        XCTAssertEqual(BlobCodec.describe(BlobCodec.encode([Float](repeating: 1, count: 10), as: .f16, shape: [5, 2])), "<f16 [5, 2]>")
        XCTAssertEqual(BlobCodec.describe(BlobCodec.encode([Int64]([1, 2, 3]))), "<i64 [3]>")
        XCTAssertEqual(BlobCodec.describe(Data([1, 2, 3])), "<blob 3 bytes>")
    }

    func testConsoleRefusesNonPolylensFiles() throws {
        let dir = try StoreFixture.directory(self)
        let text = dir.appendingPathComponent("x.txt")
        try Data(repeating: 65, count: 200).write(to: text)
        assertError(try SQLConsole(text), contains: "not a Polylens file")
    }
}
