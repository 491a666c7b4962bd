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
