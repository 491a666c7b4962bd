/// Partial selection: the k smallest of many values without sorting them all, which keeps LAPE on
/// Llama-sized statistics (5.5M probabilities) within milliseconds.
enum Selection {
    /// The k-th smallest value (1-based k, torch's `kthvalue`) of finite `values`: one pass counts the values
    /// into 65536 equal-width bins, a second gathers the bin holding the k-th, and a quickselect finishes there.
    static func kthSmallest(_ values: UnsafeBufferPointer<Double>, k: Int) -> Double {
        precondition(k >= 1 && k <= values.count)
        var lo = Double.infinity, hi = -Double.infinity
        for v in values { lo = min(lo, v); hi = max(hi, v) }
        guard hi > lo else { return lo }
        let bins = 1 << 16
        let scale = Double(bins) / (hi - lo)
        @inline(__always) func bin(_ v: Double) -> Int { min(Int((v - lo) * scale), bins - 1) }
        var counts = [Int](repeating: 0, count: bins)
        for v in values { counts[bin(v)] += 1 }
        var target = k, b = 0
        while counts[b] < target { target -= counts[b]; b += 1 }
        var inBin: [Double] = []
        inBin.reserveCapacity(counts[b])
        for v in values where bin(v) == b { inBin.append(v) }
        return quickselect(&inBin, k: target)
    }

    /// The k-th smallest (1-based) of `values`, which it reorders.
    static func quickselect(_ values: inout [Double], k: Int) -> Double {
        values.withUnsafeMutableBufferPointer { buf -> Double in
            var lo = 0, hi = buf.count - 1
            let target = k - 1
            while true {
                if lo == hi { return buf[lo] }
                // Three-way partition around the median of three, so runs of equal values cost one pass.
                let a = buf[lo], b = buf[(lo + hi) / 2], c = buf[hi]
                let pivot = max(min(a, b), min(max(a, b), c))
                var lt = lo, i = lo, gt = hi
                while i <= gt {
                    let v = buf[i]
                    if v < pivot { buf.swapAt(lt, i); lt += 1; i += 1 }
                    else if v > pivot { buf.swapAt(i, gt); gt -= 1 }
                    else { i += 1 }
                }
                if target < lt { hi = lt - 1 }
                else if target > gt { lo = gt + 1 }
                else { return pivot }
            }
        }
    }

    /// The indices of the `k` smallest keys in ascending order of (key, index): ties go to the lower index,
    /// so the result does not depend on the order of `candidates`.
    static func smallest(_ k: Int, of candidates: [Int32], key: (Int) -> Double) -> [Int] {
        var items = candidates.map { Keyed(key: key(Int($0)), index: $0) }
        let k = min(k, items.count)
        if k == 0 { return [] }
        items.withUnsafeMutableBufferPointer { buf in
            var lo = 0, hi = buf.count - 1
            while lo < hi {
                let p = buf[(lo + hi) / 2]
                var i = lo, j = hi
                while i <= j {
                    while buf[i] < p { i += 1 }
                    while p < buf[j] { j -= 1 }
                    if i <= j { buf.swapAt(i, j); i += 1; j -= 1 }
                }
                // Keys are distinct (index breaks ties), so Hoare partitioning terminates.
                if k - 1 <= j { hi = j } else if k - 1 >= i { lo = i } else { break }
            }
        }
        return items[0..<k].sorted(by: <).map { Int($0.index) }
    }

    struct Keyed: Comparable {
        var key: Double
        var index: Int32
        static func < (a: Keyed, b: Keyed) -> Bool { a.key < b.key || (a.key == b.key && a.index < b.index) }
    }
}
