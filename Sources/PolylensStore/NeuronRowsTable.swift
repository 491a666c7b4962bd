import Foundation
import GRDBSQLite

/// `neuron_rows(run, language, layer, neuron, n, p_active, mean, std, max)` as an eponymous virtual table over
/// `neuron_stats`: rows stream from the decoded blobs, nothing is materialized. Equality constraints on run,
/// language, layer and neuron are pushed down (only the matching statistics rows are read and decoded; a
/// neuron constraint yields one row), and the natural order (run, language, layer, neuron) satisfies ORDER BY,
/// so a self-join on (layer, neuron) is a lookup per row instead of a rescan. The view it replaces spread a JSON
/// text per statistics row and was re-spread at every reference. std is the population standard deviation;
/// p_active, mean and std are NULL when n = 0, max is NULL where no token was counted.
enum NeuronRowsTable {
    static let schema = "CREATE TABLE x(run INTEGER, language TEXT, layer INTEGER, neuron INTEGER, n INTEGER, "
        + "p_active REAL, mean REAL, std REAL, max REAL)"

    /// Registers the module on a connection (eponymous: usable as `neuron_rows` without CREATE VIRTUAL TABLE).
    static func register(_ db: OpaquePointer) -> Bool {
        sqlite3_create_module_v2(db, "neuron_rows", neuronRowsModule, nil, nil) == SQLITE_OK
    }
}

/// The statistics row a cursor is on, decoded once, and its neurons.
private final class NeuronRowsCursor {
    let db: OpaquePointer
    /// The statement in use and the prepared ones by constraint mask, reset and reused by each xFilter.
    var statement: OpaquePointer?
    var prepared: [Int32: OpaquePointer] = [:]
    var decodedRowid: Int64?
    var run: Int64 = 0, layer: Int64 = 0, tokens: Int64 = 0
    var language: [CChar] = [0]
    var active: [Int64] = [], sum: [Double] = [], sumSquares: [Double] = [], max: [Float] = []
    var neuron = 0, end = 0
    var onlyNeuron: Int?
    var rowid: Int64 = 0
    var eof = true

    init(db: OpaquePointer) { self.db = db }

    deinit { for s in prepared.values { sqlite3_finalize(s) } }

    /// Steps to the next statistics row that has neurons to emit; throws on a damaged blob.
    func advance() throws {
        while let statement, sqlite3_step(statement) == SQLITE_ROW {
            // A lookup per outer row (a self-join) lands on the same statistics row again and again: decode once.
            let rowid = sqlite3_column_int64(statement, 8)
            if rowid != decodedRowid {
                run = sqlite3_column_int64(statement, 0)
                language = Array(UnsafeBufferPointer(start: sqlite3_column_text(statement, 1),
                                                     count: Int(sqlite3_column_bytes(statement, 1)))).map { CChar(bitPattern: $0) } + [0]
                layer = sqlite3_column_int64(statement, 2)
                tokens = sqlite3_column_int64(statement, 3)
                let name = "neuron_stats(\(String(cString: language)), layer \(layer))"
                decodedRowid = nil
                active = try blob(4, name, "active").int64s()
                sum = try blob(5, name, "sum").doubles()
                sumSquares = try blob(6, name, "sumsq").doubles()
                max = try blob(7, name, "max").floats()
                guard sum.count == active.count, sumSquares.count == active.count, max.count == active.count else {
                    throw BlobError("\(name): statistics of lengths \(active.count), \(sum.count), \(sumSquares.count), \(max.count)")
                }
                decodedRowid = rowid
            }
            if let only = onlyNeuron {
                guard (0..<active.count).contains(only) else { continue }
                (neuron, end) = (only, only + 1)
            } else {
                (neuron, end) = (0, active.count)
            }
            if neuron < end { eof = false; return }
        }
        eof = true
    }

    private func blob(_ column: Int32, _ name: String, _ statistic: String) throws -> Blob {
        let bytes = Int(sqlite3_column_bytes(statement, column))
        guard let p = sqlite3_column_blob(statement, column) else { throw BlobError("\(name).\(statistic): not a blob") }
        do { return try BlobCodec.decode(Data(bytes: p, count: bytes)) } catch let e as BlobError {
            throw BlobError("\(name).\(statistic): \(e.description)")
        }
    }

    func next() throws {
        rowid += 1
        neuron += 1
        if neuron >= end { try advance() }
    }

    func column(_ i: Int32, _ context: OpaquePointer?) {
        let n = Double(tokens)
        func real(_ v: Double) { v.isFinite ? sqlite3_result_double(context, v) : sqlite3_result_null(context) }
        switch i {
        case 0: sqlite3_result_int64(context, run)
        case 1: sqlite3_result_text(context, language, -1, sqliteTransient)
        case 2: sqlite3_result_int64(context, layer)
        case 3: sqlite3_result_int64(context, Int64(neuron))
        case 4: sqlite3_result_int64(context, tokens)
        case 5: real(Double(active[neuron]) / n)
        case 6: real(sum[neuron] / n)
        case 7:
            let mean = sum[neuron] / n
            real(Swift.max(sumSquares[neuron] / n - mean * mean, 0).squareRoot())
        default: real(Double(max[neuron]))
        }
    }
}

private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
private let vtabSize = MemoryLayout<sqlite3_vtab>.stride
private let cursorSize = MemoryLayout<sqlite3_vtab_cursor>.stride

/// A vtab is a sqlite3_vtab followed by the connection; a cursor a sqlite3_vtab_cursor followed by its state.
private func connection(_ vtab: UnsafeMutablePointer<sqlite3_vtab>) -> OpaquePointer {
    UnsafeMutableRawPointer(vtab).load(fromByteOffset: vtabSize, as: OpaquePointer.self)
}

private func state(_ cursor: UnsafeMutablePointer<sqlite3_vtab_cursor>?) -> NeuronRowsCursor {
    Unmanaged<NeuronRowsCursor>.fromOpaque(UnsafeMutableRawPointer(cursor!).load(fromByteOffset: cursorSize, as: UnsafeRawPointer.self))
        .takeUnretainedValue()
}

/// Reports `error` through the vtab's zErrMsg (which SQLite frees with sqlite3_free).
private func fail(_ cursor: UnsafeMutablePointer<sqlite3_vtab_cursor>?, _ error: Error) -> Int32 {
    let text = Array("\((error as? BlobError)?.description ?? "\(error)")".utf8CString)
    guard let vtab = cursor?.pointee.pVtab, let p = sqlite3_malloc(Int32(text.count)) else { return SQLITE_ERROR }
    text.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: text.count) }
    sqlite3_free(vtab.pointee.zErrMsg)
    vtab.pointee.zErrMsg = p.assumingMemoryBound(to: CChar.self)
    return SQLITE_ERROR
}

/// Column numbers of the pushed-down equality constraints: run, language, layer, neuron (idxNum bit k).
private let constrainable: [Int32] = [0, 1, 2, 3]

private nonisolated(unsafe) let neuronRowsModule: UnsafeMutablePointer<sqlite3_module> = {
    var m = sqlite3_module()
    m.iVersion = 1
    m.xCreate = nil  // eponymous-only
    m.xConnect = { db, _, _, _, vtabOut, _ in
        let rc = sqlite3_declare_vtab(db, NeuronRowsTable.schema)
        guard rc == SQLITE_OK, let db else { return rc }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: vtabSize + MemoryLayout<OpaquePointer>.stride, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: vtabSize)
        raw.storeBytes(of: db, toByteOffset: vtabSize, as: OpaquePointer.self)
        vtabOut?.pointee = raw.assumingMemoryBound(to: sqlite3_vtab.self)
        return SQLITE_OK
    }
    m.xBestIndex = { _, info in
        guard let info else { return SQLITE_ERROR }
        let constraints = UnsafeBufferPointer(start: info.pointee.aConstraint, count: Int(info.pointee.nConstraint))
        var chosen: [Int32: Int] = [:]  // column → constraint index
        for (k, c) in constraints.enumerated() where c.usable != 0 && c.op == UInt8(SQLITE_INDEX_CONSTRAINT_EQ)
            && constrainable.contains(c.iColumn) && chosen[c.iColumn] == nil {
            chosen[c.iColumn] = k
        }
        var mask: Int32 = 0, argument: Int32 = 0
        for column in constrainable {
            guard let k = chosen[column] else { continue }
            argument += 1
            mask |= 1 << column
            info.pointee.aConstraintUsage[k].argvIndex = argument
            info.pointee.aConstraintUsage[k].omit = 1
        }
        info.pointee.idxNum = mask
        // Rows estimated at Llama-3.1-8B size: 12 languages × 32 layers × 14336 neurons.
        var rows = 12.0 * 32 * 14336
        if mask & 1 != 0 { rows /= 1 }
        if mask & 2 != 0 { rows /= 12 }
        if mask & 4 != 0 { rows /= 32 }
        if mask & 8 != 0 { rows /= 14336 }
        info.pointee.estimatedRows = sqlite3_int64(rows)
        info.pointee.estimatedCost = rows
        let orderBy = UnsafeBufferPointer(start: info.pointee.aOrderBy, count: Int(info.pointee.nOrderBy))
        if !orderBy.isEmpty, orderBy.enumerated().allSatisfy({ $0.element.iColumn == Int32($0.offset) && $0.element.desc == 0 }) {
            info.pointee.orderByConsumed = 1
        }
        return SQLITE_OK
    }
    let disconnect: @convention(c) (UnsafeMutablePointer<sqlite3_vtab>?) -> Int32 = { vtab in
        sqlite3_free(vtab?.pointee.zErrMsg)
        UnsafeMutableRawPointer(vtab)?.deallocate()
        return SQLITE_OK
    }
    m.xDisconnect = disconnect
    m.xDestroy = disconnect
    m.xOpen = { vtab, cursorOut in
        guard let vtab else { return SQLITE_ERROR }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: cursorSize + MemoryLayout<UnsafeRawPointer>.stride, alignment: 16)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: cursorSize)
        let box = Unmanaged.passRetained(NeuronRowsCursor(db: connection(vtab))).toOpaque()
        raw.storeBytes(of: UnsafeRawPointer(box), toByteOffset: cursorSize, as: UnsafeRawPointer.self)
        cursorOut?.pointee = raw.assumingMemoryBound(to: sqlite3_vtab_cursor.self)
        return SQLITE_OK
    }
    m.xClose = { cursor in
        let raw = UnsafeMutableRawPointer(cursor!)
        Unmanaged<NeuronRowsCursor>.fromOpaque(raw.load(fromByteOffset: cursorSize, as: UnsafeRawPointer.self)).release()
        raw.deallocate()
        return SQLITE_OK
    }
    m.xFilter = { cursor, mask, _, argc, argv in
        let c = state(cursor)
        c.onlyNeuron = nil
        c.rowid = 0
        var sql = "SELECT run_id, language, layer, tokens, active, sum, sumsq, max, rowid FROM main.neuron_stats WHERE 1"
        var bound: [OpaquePointer?] = []
        var k = 0
        for (column, name) in zip(constrainable, ["run_id", "language", "layer", nil]) where mask & (1 << column) != 0 {
            let value = argv?[k]
            k += 1
            if let name {
                sql += " AND \(name) = ?"
                bound.append(value)
            } else if sqlite3_value_type(value) == SQLITE_INTEGER {
                c.onlyNeuron = Int(sqlite3_value_int64(value))
            } else {
                c.onlyNeuron = -1  // NULL or a non-integer never equals a neuron index
            }
        }
        sql += " ORDER BY run_id, language, layer"
        if let reused = c.prepared[mask] {
            sqlite3_reset(reused)
            c.statement = reused
        } else {
            var fresh: OpaquePointer?
            guard sqlite3_prepare_v2(c.db, sql, -1, &fresh, nil) == SQLITE_OK, let fresh else {
                return fail(cursor, BlobError("neuron_rows: \(String(cString: sqlite3_errmsg(c.db)))"))
            }
            c.prepared[mask] = fresh
            c.statement = fresh
        }
        for (i, value) in bound.enumerated() { sqlite3_bind_value(c.statement, Int32(i + 1), value) }
        do { try c.advance() } catch { return fail(cursor, error) }
        return SQLITE_OK
    }
    m.xNext = { cursor in
        do { try state(cursor).next() } catch { return fail(cursor, error) }
        return SQLITE_OK
    }
    m.xEof = { cursor in state(cursor).eof ? 1 : 0 }
    m.xColumn = { cursor, context, i in
        state(cursor).column(i, context)
        return SQLITE_OK
    }
    m.xRowid = { cursor, rowid in
        rowid?.pointee = state(cursor).rowid
        return SQLITE_OK
    }
    let p = UnsafeMutablePointer<sqlite3_module>.allocate(capacity: 1)
    p.initialize(to: m)
    return p
}()
