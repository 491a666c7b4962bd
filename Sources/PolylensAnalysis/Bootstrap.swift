import PolylensModel

/// A point estimate with a percentile-bootstrap confidence interval.
public struct BootstrapInterval: Sendable, Equatable {
    public var estimate: Double
    public var low: Double
    public var high: Double
    /// Confidence level, e.g. 0.95.
    public var level: Double
    public var resamples: Int

    public init(estimate: Double, low: Double, high: Double, level: Double, resamples: Int) {
        self.estimate = estimate; self.low = low; self.high = high; self.level = level; self.resamples = resamples
    }

    /// How the interval was made, for outputs and the report.
    public var method: String {
        "percentile bootstrap, \(resamples) resamples, \(Int((level * 100).rounded()))% interval"
    }
}

/// Percentile bootstrap over independent units (documents, items, prompts): resample the units with
/// replacement, recompute the statistic, take the (1 − level)/2 and (1 + level)/2 quantiles of the
/// resampled statistics (numpy's default linear interpolation). Seeded with SplitMix64, so the same
/// data gives the same interval on every machine.
public enum Bootstrap {
    public static let defaultResamples = 2000

    /// The interval of the mean of `values`.
    public static func mean(_ values: [Double], level: Double = 0.95, resamples: Int = defaultResamples,
                            seed: UInt64 = 0) -> BootstrapInterval {
        interval(units: values.count, level: level, resamples: resamples, seed: seed) { indices in
            indices.reduce(0.0) { $0 + values[$1] } / Double(indices.count)
        }
    }

    /// The interval of a ratio of sums, Σ numerator / Σ denominator over the resampled units
    /// (e.g. ΔNLL per token, each document weighted by its tokens).
    public static func ratio(_ numerator: [Double], _ denominator: [Double], level: Double = 0.95,
                             resamples: Int = defaultResamples, seed: UInt64 = 0) -> BootstrapInterval {
        precondition(numerator.count == denominator.count, "ratio bootstrap needs paired values")
        return interval(units: numerator.count, level: level, resamples: resamples, seed: seed) { indices in
            var (n, d) = (0.0, 0.0)
            for i in indices { n += numerator[i]; d += denominator[i] }
            return n / d
        }
    }

    /// The interval of any statistic of a resample, given as the indices of the units drawn.
    /// With no units every field is NaN; with one unit the interval collapses to the estimate.
    public static func interval(units: Int, level: Double = 0.95, resamples: Int = defaultResamples, seed: UInt64 = 0,
                                statistic: ([Int]) -> Double) -> BootstrapInterval {
        precondition(level > 0 && level < 1 && resamples > 0, "bootstrap needs 0 < level < 1 and resamples > 0")
        guard units > 0 else { return BootstrapInterval(estimate: .nan, low: .nan, high: .nan, level: level, resamples: resamples) }
        let estimate = statistic(Array(0..<units))
        var rng = SplitMix64(seed: seed)
        var stats = [Double](repeating: 0, count: resamples)
        var indices = [Int](repeating: 0, count: units)
        for r in 0..<resamples {
            for j in 0..<units { indices[j] = Int(rng.next() % UInt64(units)) }
            stats[r] = statistic(indices)
        }
        stats.sort()
        return BootstrapInterval(estimate: estimate, low: quantile(stats, (1 - level) / 2),
                                 high: quantile(stats, (1 + level) / 2), level: level, resamples: resamples)
    }

    /// Quantile q of sorted values with linear interpolation between order statistics (numpy's "linear").
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}
