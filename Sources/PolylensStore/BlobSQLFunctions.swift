import Foundation
import GRDB

/// SQL functions that read Polylens blobs, registered on `polylens sql` connections:
/// `blob_at(b, i)`, `blob_len(b)`, `blob_dtype(b)`, `blob_filter(b)`, `blob_shape(b)`, `blob_raw_size(b)`,
/// `blob_json(b)` (a JSON array, for `json_each`), `blob_cosine(a, b)` and `blob_cosine(a, b, row)`
/// (cosine between row `row` of two 2-D blobs, e.g. one layer of two summaries), `blob_cosines(a, b)` (every
/// row's cosine as a JSON array, for `json_each`), and
/// `neuron_stats_json(n, active, sum, sumsq, max)`: per neuron `[p_active, mean, std, max]` as a JSON array,
/// which the `neuron_rows` view spreads into rows.
enum BlobSQLFunctions {
    static var all: [DatabaseFunction] {
        let cache = DecodedBlobCache()
        return [
            DatabaseFunction("blob_at", argumentCount: 2, pure: true) { args in
                guard let blob = try cache.blob(args[0], "blob_at"), let i = Int.fromDatabaseValue(args[1]) else { return nil }
                guard (0..<blob.count).contains(i) else {
                    throw BlobError("blob_at: index \(i) outside 0..<\(blob.count)")
                }
                switch blob.dtype {
                case .i64, .i32: return Int64(blob.element(i))
                default: return blob.element(i)
                }
            },
            DatabaseFunction("blob_len", argumentCount: 1, pure: true) { args in
                try header(args[0], "blob_len").map { $0.shape.reduce(1, *) }
            },
            DatabaseFunction("blob_dtype", argumentCount: 1, pure: true) { args in
                try header(args[0], "blob_dtype")?.dtype.name
            },
            DatabaseFunction("blob_shape", argumentCount: 1, pure: true) { args in
                try header(args[0], "blob_shape").map { "[" + $0.shape.map(String.init).joined(separator: ",") + "]" }
            },
            DatabaseFunction("blob_filter", argumentCount: 1, pure: true) { args in
                try header(args[0], "blob_filter")?.filter.name
            },
            DatabaseFunction("blob_raw_size", argumentCount: 1, pure: true) { args in
                try header(args[0], "blob_raw_size")?.rawBytes
            },
            DatabaseFunction("blob_json", argumentCount: 1, pure: true) { args in
                guard let blob = try cache.blob(args[0], "blob_json") else { return nil }
                return "[" + (0..<blob.count).map { i in
                    let v = blob.element(i)
                    return v.isFinite ? (blob.dtype == .i64 || blob.dtype == .i32 ? String(Int64(v)) : "\(v)") : "null"
                }.joined(separator: ",") + "]"
            },
            DatabaseFunction("blob_cosine", argumentCount: 2, pure: true) { args in
                guard let a = try cache.blob(args[0], "blob_cosine"), let b = try cache.blob(args[1], "blob_cosine") else { return nil }
                guard a.count == b.count else { throw BlobError("blob_cosine: lengths \(a.count) and \(b.count) differ") }
                return cosine(a, 0, b, 0, a.count)
            },
            DatabaseFunction("blob_cosine", argumentCount: 3, pure: true) { args in
                guard let a = try cache.blob(args[0], "blob_cosine"), let b = try cache.blob(args[1], "blob_cosine"),
                      let row = Int.fromDatabaseValue(args[2]) else { return nil }
                guard a.shape.count == 2, a.shape == b.shape else {
                    throw BlobError("blob_cosine: rows need two 2-D blobs of one shape, got \(a.shape) and \(b.shape)")
                }
                guard (0..<a.shape[0]).contains(row) else { throw BlobError("blob_cosine: row \(row) outside 0..<\(a.shape[0])") }
                return cosine(a, row * a.shape[1], b, row * b.shape[1], a.shape[1])
            },
            // Every row's cosine in one call: a query over (pair, layer) decodes each pair's blobs once.
            DatabaseFunction("blob_cosines", argumentCount: 2, pure: true) { args in
                guard let a = try cache.blob(args[0], "blob_cosines"), let b = try cache.blob(args[1], "blob_cosines") else { return nil }
                guard a.shape.count == 2, a.shape == b.shape else {
                    throw BlobError("blob_cosines: needs two 2-D blobs of one shape, got \(a.shape) and \(b.shape)")
                }
                let width = a.shape[1]
                return "[" + (0..<a.shape[0]).map { row in
                    cosine(a, row * width, b, row * width, width).map { "\($0)" } ?? "null"
                }.joined(separator: ",") + "]"
            },
            DatabaseFunction("neuron_stats_json", argumentCount: 5, pure: true) { args in
                guard let n = Int64.fromDatabaseValue(args[0]),
                      let active = try cache.blob(args[1], "neuron_stats_json"), let sum = try cache.blob(args[2], "neuron_stats_json"),
                      let sumsq = try cache.blob(args[3], "neuron_stats_json"), let max = try cache.blob(args[4], "neuron_stats_json")
                else { return nil }
                guard [sum.count, sumsq.count, max.count].allSatisfy({ $0 == active.count }) else {
                    throw BlobError("neuron_stats_json: statistics of lengths \(active.count), \(sum.count), \(sumsq.count), \(max.count)")
                }
                let tokens = Double(n)
                func number(_ v: Double) -> String { v.isFinite ? "\(v)" : "null" }
                var json = "["
                json.reserveCapacity(active.count * 80)
                for i in 0..<active.count {
                    let mean = sum.element(i) / tokens
                    let std = Swift.max(sumsq.element(i) / tokens - mean * mean, 0).squareRoot()
                    json += (i == 0 ? "[" : ",[") + number(active.element(i) / tokens) + "," + number(mean) + ","
                        + number(std) + "," + number(max.element(i)) + "]"
                }
                return json + "]"
            },
        ]
    }

    private static func header(_ value: DatabaseValue, _ function: String) throws -> BlobHeader? {
        guard let data = Data.fromDatabaseValue(value) else { return nil }
        do { return try BlobCodec.header(data) } catch let e as BlobError { throw BlobError("\(function): \(e.description)") }
    }

    private static func cosine(_ a: Blob, _ aStart: Int, _ b: Blob, _ bStart: Int, _ n: Int) -> Double? {
        var dot = 0.0, na = 0.0, nb = 0.0
        for k in 0..<n {
            let x = a.element(aStart + k), y = b.element(bStart + k)
            dot += x * y; na += x * x; nb += y * y
        }
        return na == 0 || nb == 0 ? nil : dot / (na * nb).squareRoot()
    }
}

/// Decoding a blob for every `blob_at` call would make a scan over all neurons quadratic; the few blobs
/// of the current row are kept.
final class DecodedBlobCache: @unchecked Sendable {
    private var entries: [(data: Data, blob: Blob)] = []
    private let lock = NSLock()
    private let capacity = 8

    func blob(_ value: DatabaseValue, _ function: String) throws -> Blob? {
        guard let data = Data.fromDatabaseValue(value) else { return nil }
        lock.lock(); defer { lock.unlock() }
        if let hit = entries.firstIndex(where: { $0.data == data }) {
            let entry = entries.remove(at: hit)
            entries.append(entry)
            return entry.blob
        }
        let blob: Blob
        do { blob = try BlobCodec.decode(data) } catch let e as BlobError { throw BlobError("\(function): \(e.description)") }
        entries.append((data, blob))
        if entries.count > capacity { entries.removeFirst() }
        return blob
    }
}
