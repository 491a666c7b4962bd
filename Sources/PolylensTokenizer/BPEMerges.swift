/// Which adjacent pair of tokens merges first, and into what: the heart of every BPE.
/// Ranks come from a merges list (Hugging Face, GGUF) or from token ranks (tiktoken, where a pair's
/// rank is the rank of the token it forms). Lower rank merges first; ties go to the leftmost pair.
struct BPEMerges: Sendable {
    /// Open addressing on `left << 32 | right`; a value packs `rank << 32 | result`.
    private var keys: [UInt64]
    private var values: [UInt64]
    private var mask: Int
    private(set) var count = 0
    private static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 29) & mask
    }

    /// Adds a merge unless the pair already has one (the first, lowest-ranked entry wins).
    mutating func add(left: Int32, right: Int32, rank: Int32, result: Int32) {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        var s = Self.slot(key, mask)
        while keys[s] != Self.empty {
            if keys[s] == key { return }
            s = (s + 1) & mask
        }
        keys[s] = key
        values[s] = UInt64(UInt32(bitPattern: rank)) << 32 | UInt64(UInt32(bitPattern: result))
        count += 1
    }

    /// `rank << 32 | result` of the pair, or nil.
    @inline(__always)
    func lookup(_ left: Int32, _ right: Int32) -> UInt64? {
        let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
        var s = Self.slot(key, mask)
        while true {
            let k = keys[s]
            if k == key { return values[s] }
            if k == Self.empty { return nil }
            s = (s + 1) & mask
        }
    }

    /// Merges `symbols` in place until no pair has a rank. A min-heap of candidate pairs over a linked list
    /// of parts: O(n log n), and a popped pair is checked against the current parts so stale entries are skipped.
    func apply(_ symbols: inout [Int32], scratch: inout BPEScratch) {
        let n = symbols.count
        if n < 2 { return }
        scratch.reset(n)
        for i in 0..<(n - 1) { scratch.push(i, i + 1, i + 2, lookup(symbols[i], symbols[i + 1])) }
        while let e = scratch.pop() {
            let left = Int(e.left), right = Int(e.right), end = Int(e.end)
            // Stale unless both parts are still exactly the ones this entry was made for.
            guard scratch.alive[left], scratch.alive[right], scratch.next[left] == right,
                  scratch.next[right] == end else { continue }
            symbols[left] = Int32(truncatingIfNeeded: e.result)
            scratch.alive[right] = false
            scratch.next[left] = end
            if end < n { scratch.prev[end] = left }
            let p = scratch.prev[left]
            if p >= 0 { scratch.push(p, left, end, lookup(symbols[p], symbols[left])) }
            if end < n { scratch.push(left, end, scratch.next[end], lookup(symbols[left], symbols[end])) }
        }
        var w = 0
        var i = 0
        while i < n { symbols[w] = symbols[i]; w += 1; i = scratch.next[i] }
        symbols.removeLast(n - w)
    }
}

/// Reusable buffers for `BPEMerges.apply` (one per encoding thread, so the hot loop allocates nothing).
struct BPEScratch {
    struct Entry {
        var key: UInt64      // rank << 32 | left: the heap order (lowest rank, then leftmost)
        var right: Int32
        var end: Int32
        var result: UInt32
        var left: Int32 { Int32(truncatingIfNeeded: key & 0xFFFF_FFFF) }
    }
    var heap: [Entry] = []
    var next: [Int] = []
    var prev: [Int] = []
    var alive: [Bool] = []

    mutating func reset(_ n: Int) {
        heap.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        prev.removeAll(keepingCapacity: true)
        alive.removeAll(keepingCapacity: true)
        for i in 0..<n { next.append(i + 1); prev.append(i - 1); alive.append(true) }
    }

    @inline(__always)
    mutating func push(_ left: Int, _ right: Int, _ end: Int, _ merge: UInt64?) {
        guard let m = merge else { return }
        heap.append(Entry(key: (m >> 32) << 32 | UInt64(left), right: Int32(right), end: Int32(end),
                          result: UInt32(truncatingIfNeeded: m)))
        var c = heap.count - 1
        while c > 0 {
            let parent = (c - 1) / 2
            if heap[parent].key <= heap[c].key { break }
            heap.swapAt(parent, c)
            c = parent
        }
    }

    @inline(__always)
    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var c = 0
            let n = heap.count
            while true {
                let l = 2 * c + 1
                if l >= n { break }
                let r = l + 1
                let m = r < n && heap[r].key < heap[l].key ? r : l
                if heap[c].key <= heap[m].key { break }
                heap.swapAt(c, m)
                c = m
            }
        }
        return top
    }
}
