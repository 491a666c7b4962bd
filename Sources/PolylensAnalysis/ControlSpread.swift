import Foundation

/// The random control's ΔNLL for one (matched set, evaluated language) over several seeds: one draw says
/// little, so the control is drawn with each seed and reported as mean and spread across draws.
public struct ControlSpread: Sendable, Equatable {
    /// ΔNLL per token of each seed's draw, in seed order.
    public var changes: [Double]

    public init(changes: [Double]) { self.changes = changes }

    public var seeds: Int { changes.count }
    public var mean: Double { changes.isEmpty ? .nan : changes.reduce(0, +) / Double(changes.count) }
    /// Sample standard deviation across seeds (n − 1; NaN with fewer than two seeds).
    public var standardDeviation: Double {
        guard changes.count > 1 else { return .nan }
        let m = mean
        return (changes.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(changes.count - 1)).squareRoot()
    }
    public var min: Double { changes.min() ?? .nan }
    public var max: Double { changes.max() ?? .nan }

    public static let method = "random control: mean and sample standard deviation (n − 1) of ΔNLL across seeds"

    /// The spread of every (matched set, evaluated language) over the control outcomes of `outcomes`.
    public static func of(_ outcomes: [AblationOutcome]) -> [String: [String: ControlSpread]] {
        var out: [String: [String: ControlSpread]] = [:]
        for o in outcomes where o.isRandomControl {
            for m in o.measurements {
                out[o.setLanguage, default: [:]][m.language, default: ControlSpread(changes: [])].changes.append(m.change)
            }
        }
        return out
    }
}
