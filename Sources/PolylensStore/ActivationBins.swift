/// The fixed bins of every activation histogram (FORMAT.md "Activation histograms").
///
/// Half-octave bins on a signed log scale resolve both the bulk of a = SiLU(gate_proj · x) near zero and
/// the tail: bin edges are ±{1, 1.5}·2^e. Bin 0 is a ≤ −0.25 (SiLU's minimum is −0.2785), bins 1…10 cover
/// −0.25 < a ≤ −2⁻⁷, bin 11 is −2⁻⁷ < a ≤ 0, bin 12 is 0 < a < 2⁻⁷, bins 13…38 cover 2⁻⁷ ≤ a < 64,
/// bin 39 is a ≥ 64 (and NaN). So bins 12… count exactly the tokens with a > 0, as LAPE's `active`.
///
/// A value's bin is one table lookup on its top ten bits (sign, exponent, first mantissa bit): no search,
/// no branch, so ingest pays an increment per activation.
public enum ActivationBins {
    public static let count = 40
    /// The first bin of positive values: bins `firstPositive...` count a > 0.
    public static let firstPositive = 12

    /// Lower edge of each bin and the upper edge of the last, ascending (count + 1 values). The open ends
    /// are SiLU's minimum and +∞. Negative bins are (lower, upper], positive ones [lower, upper).
    public static let edges: [Float] = {
        var e: [Float] = [-0.278_464_54]
        for b in 1...10 { e.append(-magnitude(slot: 251 - b)) }
        e.append(-magnitude(slot: 240))
        e.append(0)
        for j in 0..<27 { e.append(magnitude(slot: 240 + j)) }
        e.append(.infinity)
        return e
    }()

    /// Bin of every value of the top ten bits of a Float.
    public static let table: [UInt8] = (0..<1024).map { index in
        let slot = index & 511
        if index < 512 {
            if slot == 0 { return 11 }                  // +0 (positive denormals below 2⁻¹²⁷ are fixed up in `bin`)
            if slot < 240 { return 12 }
            return UInt8(min(13 + slot - 240, 39))
        }
        if slot < 240 { return 11 }
        return UInt8(max(10 - (slot - 240), 0))
    }

    /// The bin of `a`: the table lookup, plus one for the positive values that share +0's slot (bits 1…0x3FFFFF).
    /// Inlinable: ingest calls it once per activation from another module.
    @inlinable @inline(__always)
    public static func bin(_ a: Float, table: UnsafePointer<UInt8>) -> Int {
        let bits = a.bitPattern
        return Int(table[Int(bits >> 22)]) &+ (bits &- 1 < 0x003F_FFFF ? 1 : 0)
    }

    public static func bin(_ a: Float) -> Int {
        table.withUnsafeBufferPointer { bin(a, table: $0.baseAddress!) }
    }

    /// Smallest magnitude of a slot (exponent field e = slot / 2, first mantissa bit = slot % 2).
    private static func magnitude(slot: Int) -> Float {
        Float(sign: .plus, exponent: slot / 2 - 127, significand: slot % 2 == 0 ? 1 : 1.5)
    }
}
