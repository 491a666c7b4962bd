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
        let mask = mask
        // Slots are masked by `keys.count - 1`: unchecked reads are in range (release builds check the rest).
        return keys.withUnsafeBufferPointer { keys in
            var s = Self.slot(key, mask)
            while true {
                let k = keys[s]
                if k == key { return values.withUnsafeBufferPointer { $0[s] } }
                if k == Self.empty { return nil }
                s = (s &+ 1) & mask
            }
        }
    }

    /// Merges `symbols` in place until no pair has a rank. A min-heap of candidate pairs over a linked list
    /// of parts: O(n log n), and a popped pair is checked against the current parts so stale entries are skipped.
    func apply(_ symbols: inout [Int32], scratch: inout BPEScratch) {
        let n = symbols.count
        if n < 2 { return }
        scratch.reset(n)
        // Every position below is a part's index (0..<n) or an end (≤ n, read only when < n), from the queue or
        // the list, which hold nothing else: the buffers' unchecked reads are in range by construction.
        symbols.withUnsafeMutableBufferPointer { symbols in
            scratch.links.withUnsafeMutableBufferPointer { links in
                for i in 0..<(n - 1) { scratch.queue.push(i, i + 1, i + 2, lookup(symbols[i], symbols[i + 1])) }
                while let e = scratch.queue.pop() {
                    let left = Int(e.left), right = Int(e.right), end = Int(e.end)
                    // Stale unless both parts are still exactly the ones this entry was made for.
                    guard links[left].alive, links[right].alive, links[left].next == right,
                          links[right].next == end else { continue }
                    symbols[left] = Int32(truncatingIfNeeded: e.result)
                    links[right].alive = false
                    links[left].next = end
                    if end < n { links[end].prev = left }
                    let p = links[left].prev
                    if p >= 0 { scratch.queue.push(p, left, end, lookup(symbols[p], symbols[left])) }
                    if end < n { scratch.queue.push(left, end, links[end].next, lookup(symbols[left], symbols[end])) }
                }
            }
        }
        var w = 0
        var i = 0
        while i < n { symbols[w] = symbols[i]; w += 1; i = scratch.links[i].next }
        symbols.removeLast(n - w)
    }
}

/// Reusable buffers for `BPEMerges.apply` (one per encoding thread, so the hot loop allocates nothing).
struct BPEScratch {
    /// The parts of the word being merged, as a doubly linked list over positions.
    struct Link {
        var next: Int
        var prev: Int
        var alive: Bool
    }
    var links: [Link] = []
    var queue = MergeQueue()

    mutating func reset(_ n: Int) {
        queue.removeAll()
        links.removeAll(keepingCapacity: true)
        for i in 0..<n { links.append(Link(next: i + 1, prev: i - 1, alive: true)) }
    }
}

/// The candidate merges of `BPEMerges.apply`, lowest rank first, then leftmost: a binary min-heap.
struct MergeQueue {
    struct Entry {
        var key: UInt64      // rank << 32 | left: the heap order (lowest rank, then leftmost)
        var right: Int32
        var end: Int32
        var result: UInt32
        var left: Int32 { Int32(truncatingIfNeeded: key & 0xFFFF_FFFF) }
    }
    private var heap: [Entry] = []

    mutating func removeAll() { heap.removeAll(keepingCapacity: true) }

    @inline(__always)
    mutating func push(_ left: Int, _ right: Int, _ end: Int, _ merge: UInt64?) {
        guard let m = merge else { return }
        heap.append(Entry(key: (m >> 32) << 32 | UInt64(left), right: Int32(right), end: Int32(end),
                          result: UInt32(truncatingIfNeeded: m)))
        // Sift up: every index is a parent of the last, in range.
        heap.withUnsafeMutableBufferPointer { h in
            var c = h.count - 1
            while c > 0 {
                let parent = (c &- 1) / 2
                if h[parent].key <= h[c].key { break }
                h.swapAt(parent, c)
                c = parent
            }
        }
    }

    @inline(__always)
    mutating func pop() -> Entry? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if heap.isEmpty { return top }
        // Sift down: children are read only when below the count.
        heap.withUnsafeMutableBufferPointer { h in
            h[0] = last
            var c = 0
            let n = h.count
            while true {
                let l = 2 &* c &+ 1
                if l >= n { break }
                let r = l &+ 1
                let m = r < n && h[r].key < h[l].key ? r : l
                if h[c].key <= h[m].key { break }
                h.swapAt(c, m)
                c = m
            }
        }
        return top
    }
}
