import Foundation

/// Vocabulary lookup by UTF-8 bytes, without building a String per lookup: the encoders' hot path.
/// Open addressing over one pool of bytes; built once, then read-only (hence shareable across threads).
final class PieceTable: @unchecked Sendable {
    private var pool: [UInt8] = []
    private var starts: [Int32] = []
    private var lengths: [Int32] = []
    private var values: [Int32] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [Int32](repeating: -1, count: n)
        mask = n - 1
    }

    var count: Int { values.count }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<n { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// Inserts unless the bytes are already present (the first id of a duplicated piece wins, as in SentencePiece).
    @discardableResult
    func insert(_ bytes: [UInt8], value: Int32) -> Bool {
        if lookup(bytes) >= 0 { return false }
        if (values.count + 1) * 2 > slots.count { grow() }
        let entry = Int32(values.count)
        starts.append(Int32(pool.count))
        lengths.append(Int32(bytes.count))
        values.append(value)
        pool.append(contentsOf: bytes)
        place(entry)
        return true
    }

    func lookup(_ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else {
                var zero: UInt8 = 0
                return lookup(&zero, 0)
            }
            return lookup(base, b.count)
        }
    }

    /// The value for these bytes, or -1.
    @inline(__always)
    func lookup(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32 {
        var s = PieceTable.hash(p, n) & mask
        return pool.withUnsafeBufferPointer { pool in
            while true {
                let e = Int(slots[s])
                if e < 0 { return -1 }
                if Int(lengths[e]) == n {
                    let start = Int(starts[e])
                    if n == 0 || memcmp(pool.baseAddress! + start, p, n) == 0 { return values[e] }
                }
                s = (s + 1) & mask
            }
        }
    }

    private func place(_ entry: Int32) {
        let e = Int(entry)
        let h = pool.withUnsafeBufferPointer { pool -> Int in
            PieceTable.hash(pool.baseAddress! + Int(starts[e]), Int(lengths[e]))
        }
        var s = h & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = entry
    }

    private func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for e in 0..<values.count { place(Int32(e)) }
    }
}

/// Map from a pair of ids to one id (the merge of two pieces): open addressing over 64-bit keys, in raw
/// storage so that building and probing do no copy-on-write checks.
final class PairTable: @unchecked Sendable {
    private var keys: UnsafeMutablePointer<UInt64>
    private var values: UnsafeMutablePointer<Int32>
    private var size: Int
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(capacity: Int) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        size = n
        mask = n - 1
        keys = .allocate(capacity: n)
        keys.initialize(repeating: PairTable.empty, count: n)
        values = .allocate(capacity: n)
        values.initialize(repeating: -1, count: n)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    @inline(__always)
    static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// Keeps an existing value: callers insert in the order whose first entry must win.
    func insert(_ a: Int32, _ b: Int32, value: Int32) {
        if (count + 1) * 2 > size { grow() }
        let k = PairTable.key(a, b)
        var s = PairTable.slot(k, mask)
        while keys[s] != PairTable.empty {
            if keys[s] == k { return }
            s = (s + 1) & mask
        }
        keys[s] = k
        values[s] = value
        count += 1
    }

    /// The value for the pair, or -1.
    @inline(__always)
    func lookup(_ a: Int32, _ b: Int32) -> Int32 {
        let k = PairTable.key(a, b)
        var s = PairTable.slot(k, mask)
        while true {
            let kk = keys[s]
            if kk == k { return values[s] }
            if kk == PairTable.empty { return -1 }
            s = (s + 1) & mask
        }
    }

    private func grow() {
        let oldKeys = keys, oldValues = values, oldSize = size
        size *= 2
        mask = size - 1
        keys = .allocate(capacity: size)
        keys.initialize(repeating: PairTable.empty, count: size)
        values = .allocate(capacity: size)
        values.initialize(repeating: -1, count: size)
        count = 0
        for i in 0..<oldSize where oldKeys[i] != PairTable.empty {
            insert(Int32(bitPattern: UInt32(oldKeys[i] >> 32)), Int32(bitPattern: UInt32(oldKeys[i] & 0xFFFF_FFFF)),
                   value: oldValues[i])
        }
        oldKeys.deallocate()
        oldValues.deallocate()
    }
}
