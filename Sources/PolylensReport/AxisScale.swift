import Foundation

/// An axis title and its unit, shown as "title (unit)" so every axis states what it measures.
public struct AxisLabel: Sendable, Equatable {
    public var title: String
    public var unit: String?
    public init(_ title: String, unit: String? = nil) { self.title = title; self.unit = unit }
    public var text: String { unit.map { "\(title) (\($0))" } ?? title }
}

/// Maps data values to pixels along one axis and chooses readable tick positions.
struct AxisScale {
    let lower: Double
    let upper: Double
    let logarithmic: Bool
    /// Pixel positions of `lower` and `upper` (upper may be the smaller pixel, as on a y axis).
    let from: Double
    let to: Double

    /// A linear scale over the data range, widened to round tick values; `fixed` forces a range.
    static func linear(values: [Double], fixed: ClosedRange<Double>? = nil, includeZero: Bool = false,
                       pixels: (Double, Double)) -> AxisScale {
        let finite = values.filter { $0.isFinite }
        var lo = fixed?.lowerBound ?? finite.min() ?? 0
        var hi = fixed?.upperBound ?? finite.max() ?? 1
        if includeZero { lo = min(lo, 0); hi = max(hi, 0) }
        if hi <= lo { hi = lo + (lo == 0 ? 1 : abs(lo) * 0.1) }
        if fixed == nil {
            let step = niceStep((hi - lo) / 5)
            lo = (lo / step).rounded(.down) * step
            hi = (hi / step).rounded(.up) * step
        }
        return AxisScale(lower: lo, upper: hi, logarithmic: false, from: pixels.0, to: pixels.1)
    }

    /// A base-10 logarithmic scale over whole decades covering the positive data.
    static func log10(values: [Double], pixels: (Double, Double)) -> AxisScale {
        let positive = values.filter { $0.isFinite && $0 > 0 }
        var lo = Foundation.log10(positive.min() ?? 1e-3).rounded(.down)
        var hi = Foundation.log10(positive.max() ?? 1).rounded(.up)
        if hi <= lo { hi = lo + 1 }
        lo = max(lo, hi - 12)
        return AxisScale(lower: pow(10, lo), upper: pow(10, hi), logarithmic: true, from: pixels.0, to: pixels.1)
    }

    /// The pixel of a value, or nil when it cannot be drawn (not finite, or ≤ 0 on a log scale).
    func pixel(_ v: Double) -> Double? {
        guard v.isFinite else { return nil }
        let t: Double
        if logarithmic {
            guard v > 0 else { return nil }
            t = (Foundation.log10(v) - Foundation.log10(lower)) / (Foundation.log10(upper) - Foundation.log10(lower))
        } else {
            t = (v - lower) / (upper - lower)
        }
        return from + min(max(t, 0), 1) * (to - from)
    }

    /// About `count` ticks at 1-2-5 multiples (linear) or at each decade (log), with their labels;
    /// `integers` keeps a linear step ≥ 1 (layers have no half steps).
    func ticks(count: Int = 5, integers: Bool = false) -> [(value: Double, label: String)] {
        if logarithmic {
            let lo = Int(Foundation.log10(lower).rounded()), hi = Int(Foundation.log10(upper).rounded())
            let stride = max(1, (hi - lo + 5) / 6)
            let exponents: [Int] = Array(Swift.stride(from: hi, through: lo, by: -stride).reversed())
            return exponents.map { e -> (value: Double, label: String) in
                let value = pow(10, Double(e))
                return (value, (0...3).contains(e) ? String(Int(value)) : "1e\(e)")
            }
        }
        var step = AxisScale.niceStep((upper - lower) / Double(max(count, 1)))
        if integers { step = max(step.rounded(), 1) }
        let first = (lower / step).rounded(.up) * step
        var out: [(Double, String)] = []
        var v = first
        while v <= upper + step * 1e-9 && out.count < 50 {
            out.append((v, AxisScale.format(v, step: step)))
            v += step
        }
        return out
    }

    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let magnitude = pow(10, Foundation.log10(raw).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// A tick label with as many decimals as the step needs, and a clean zero.
    static func format(_ v: Double, step: Double) -> String {
        if abs(v) < step * 1e-6 { return "0" }
        let decimals = max(0, -Int(Foundation.log10(step).rounded(.down)))
        if decimals > 6 || abs(v) >= 1e7 { return String(format: "%.1e", v) }
        return String(format: "%.\(decimals)f", v)
    }
}
