import Foundation

/// A hash table from byte strings to Int32, looked up straight from a pointer into the input:
/// both BPE encoders' hot path asks "is this piece a token?" without building a String or an Array.
/// Open addressing over one arena of bytes; the empty string is never a key.
///
/// Lookups read through unsafe buffers, whose indices hold by construction: a slot index is masked by
/// `slots.count - 1`, a slot holds 0 or the index + 1 of an entry that exists, and an entry's bytes lie in
/// the arena. They run for every pre-token of the text, and release builds keep bounds checks here.
struct ByteStringTable: Sendable {
    private struct Entry {
        var start: Int32
        var length: Int32
        var value: Int32
    }
    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    /// Entry index + 1; 0 is an empty slot.
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { entries.count }

    /// FNV-1a.
    @inline(__always)
    private static func hash(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var h = fnvBasis
        for i in 0..<n { h = fnvStep(h, p[i]) }
        return finish(h)
    }

    private static let fnvBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    @inline(__always) private static func fnvStep(_ h: UInt64, _ byte: UInt8) -> UInt64 {
        (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
    @inline(__always) private static func finish(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h ^ (h >> 29)) }

    @inline(__always)
    func find(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int32? {
        if n == 0 { return nil }
        return find(p, n, hash: Self.hash(p, n))
    }

    /// Each way to cut `p[0..<n]` into two keys, at the cuts `isCut` allows: `body(cut, left, right)`.
    /// Prefix hashes are carried along (FNV-1a is incremental) and a suffix is hashed only when its prefix is a
    /// key, so a piece of n bytes costs O(n) plus O(n) per key that starts it, not O(n²): a vocabulary with one
    /// 200,000-character piece loads in milliseconds, not 45 seconds.
    func forEachSplit(_ p: UnsafePointer<UInt8>, _ n: Int, isCut: (Int) -> Bool, _ body: (Int, Int32, Int32) -> Void) {
        var h = Self.fnvBasis
        for c in 1..<max(1, n) {
            h = Self.fnvStep(h, p[c - 1])
            guard isCut(c), let left = find(p, c, hash: Self.finish(h)), let right = find(p + c, n - c) else { continue }
            body(c, left, right)
        }
    }

    @inline(__always)
    private func find(_ p: UnsafePointer<UInt8>, _ n: Int, hash: Int) -> Int32? {
        let mask = mask
        return slots.withUnsafeBufferPointer { slots in
            entries.withUnsafeBufferPointer { entries in
                arena.withUnsafeBufferPointer { arena in
                    var s = hash & mask
                    while true {
                        let e = Int(slots[s])
                        if e == 0 { return nil }
                        let x = entries[e &- 1]
                        if Int(x.length) == n, memcmp(arena.baseAddress! + Int(x.start), p, n) == 0 { return x.value }
                        s = (s &+ 1) & mask
                    }
                }
            }
        }
    }

    func find(_ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress else { return nil }
            return find(base, b.count)
        }
    }

    /// Adds `bytes → value` unless present (the first id of a duplicated piece wins, as in SentencePiece);
    /// returns false if the key was already there. Grows as needed.
    @discardableResult
    mutating func insert(_ p: UnsafePointer<UInt8>, _ n: Int, value: Int32) -> Bool {
        if n == 0 { return false }
        let hash = Self.hash(p, n)  // once, for the duplicate check and the placement
        if find(p, n, hash: hash) != nil { return false }
        precondition(arena.count + n <= Int(Int32.max), "ByteStringTable: more than 2 GiB of keys")
        if (entries.count + 1) * 2 > slots.count { grow() }
        entries.append(Entry(start: Int32(arena.count), length: Int32(n), value: value))
        arena.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        place(entries.count - 1, hash)
        return true
    }

    @discardableResult
    mutating func insert(_ bytes: [UInt8], value: Int32) -> Bool {
        if bytes.isEmpty { return false }
        return bytes.withUnsafeBufferPointer { insert($0.baseAddress!, $0.count, value: value) }
    }

    /// Forgets every entry, keeping the allocated space.
    mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        for i in slots.indices { slots[i] = 0 }
    }

    private mutating func place(_ entry: Int, _ hash: Int) {
        var s = hash & mask
        while slots[s] != 0 { s = (s + 1) & mask }
        slots[s] = Int32(entry + 1)
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        mask = slots.count - 1
        for (e, x) in entries.enumerated() {
            let h = arena.withUnsafeBufferPointer { Self.hash($0.baseAddress! + Int(x.start), Int(x.length)) }
            place(e, h)
        }
    }
}
