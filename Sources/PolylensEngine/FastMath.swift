/// exp over float arrays: softmax and SiLU call exp tens of millions of times per prefill, and libm's
/// expf (a call per element) would cost about a tenth of the forward pass. These loops are plain float
/// arithmetic with no calls, which the optimiser vectorises; they are also quick in debug builds.
enum FastMath {
    /// Cephes' expf: e^x = 2^n · e^r with n = round(x / ln 2) and a degree-6 polynomial for e^r on
    /// |r| ≤ ln 2 / 2. Within 2 ulp of expf; inputs are clamped to the finite range.
    @inline(__always)
    static func exp(_ v: Float) -> Float {
        let x = min(max(v, -87.3), 88.3)
        // Adding and subtracting 1.5 · 2^23 rounds to the nearest integer without a call.
        let n = (x * 1.442_695_04 + 12_582_912) - 12_582_912
        let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let y = p * r * r + r + 1
        return y * Float(bitPattern: UInt32(bitPattern: (Int32(n) &+ 127) &<< 23))
    }

    /// x ← e^(x − shift), returning the sum of the results.
    static func expShifted(_ p: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        for i in 0..<count { p[i] = exp(p[i] - shift) }
        var sum: Float = 0
        for i in 0..<count { sum += p[i] }
        return sum
    }

    /// x ← x · sigmoid(x) = x / (1 + e^−x).
    static func silu(_ p: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count { p[i] = p[i] / (1 + exp(-p[i])) }
    }
}
