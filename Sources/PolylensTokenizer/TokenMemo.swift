/// The ids a byte string (a pre-token, a chunk of characters) encodes to, remembered: source code repeats its
/// words, keywords and indentation, so most of them are merged once and copied afterwards. A string's ids
/// depend on its bytes alone. Each memo belongs to one encoding call at a time (see `ScratchPool`); it is
/// emptied when it has grown past its limit.
struct TokenMemo {
    /// Key → where its entry starts in `ids`.
    private var keys = ByteStringTable(capacity: 4096)
    /// Per entry: the count, then the ids.
    private var ids: [Int32] = []
    /// Ids held before the memo starts over (4 MiB).
    private static var limit: Int { 1 << 20 }

    /// Appends the remembered ids of `p[0..<n]` to `out`; false if there are none.
    @inline(__always)
    func append(_ p: UnsafePointer<UInt8>, _ n: Int, to out: inout [Int32]) -> Bool {
        guard let start = keys.find(p, n) else { return false }
        let s = Int(start), count = Int(ids[s])
        precondition(s + 1 + count <= ids.count)  // checked once per string, not per id
        ids.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[(s + 1)..<(s + 1 + count)])) }
        return true
    }

    mutating func remember<C: Collection>(_ p: UnsafePointer<UInt8>, _ n: Int, ids new: C) where C.Element == Int32 {
        if ids.count > Self.limit {
            keys.removeAll()
            ids.removeAll(keepingCapacity: true)
        }
        guard keys.insert(p, n, value: Int32(ids.count)) else { return }
        ids.append(Int32(new.count))
        ids.append(contentsOf: new)
    }
}
