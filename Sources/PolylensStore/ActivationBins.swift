/// The fixed bins of every activation histogram (FORMAT.md "Activation histograms").
///
/// Half-octave bins on a signed log scale resolve both the bulk of a = SiLU(gate_proj · x) near zero and
/// the tail: bin edges are ±{1, 1.5}·2^e. Bin 0 is a ≤ −0.25 (SiLU's minimum is −0.2785), bins 1…10 cover
/// −0.25 < a ≤ −2⁻⁷, bin 11 is −2⁻⁷ < a ≤ 0, bin 12 is 0 < a < 2⁻⁷, bins 13…38 cover 2⁻⁷ ≤ a < 64,
/// bin 39 is a ≥ 64 (and NaN; a NaN with the sign bit set goes to bin 0).
///
/// A value's bin follows from its top ten bits (sign, exponent, first mantissa bit: the "slot") by a clamp,
/// computed for eight values at once: no search, no branch, no table, so ingest pays about one vector
/// instruction and an increment per activation.
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

    /// The bins of eight values. With slot s = bits >> 22: a positive value's bin is s − 227 clamped to 12…39
    /// (slot 240 is 2⁻⁷, slot 266 is 64), +0's is 11; a negative value's (s = 512 + slot) is 762 − s clamped to
    /// 0…11 (slot 240, −2⁻⁷, is bin 10; slot 250, −0.25, is bin 0).
    @inlinable @inline(__always)
    public static func bins(_ a: SIMD8<Float>) -> SIMD8<Int32> {
        let bits = unsafeBitCast(a, to: SIMD8<UInt32>.self)
        let slot = SIMD8<Int32>(truncatingIfNeeded: bits &>> 22)
        let negative = slot .>= 512
        let x = (slot &- 227).replacing(with: 762 &- slot, where: negative)
        let low = SIMD8<Int32>(repeating: 12).replacing(with: 0, where: negative)
        let high = SIMD8<Int32>(repeating: 39).replacing(with: 11, where: negative)
        return pointwiseMin(pointwiseMax(x, low), high).replacing(with: 11, where: bits .== 0)
    }

    /// The bin of one value (the same computation as `bins`).
    public static func bin(_ a: Float) -> Int { Int(bins(SIMD8(repeating: a))[0]) }

    /// Smallest magnitude of a slot (exponent field e = slot / 2, first mantissa bit = slot % 2).
    private static func magnitude(slot: Int) -> Float {
        Float(sign: .plus, exponent: slot / 2 - 127, significand: slot % 2 == 0 ? 1 : 1.5)
    }
}
