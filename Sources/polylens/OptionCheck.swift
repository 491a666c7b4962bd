import ArgumentParser

/// Range checks for numeric options, called from validate(): the message names the option and the value
/// given. Numeric options parse `.unconditional`ly so that `--threads -3` reaches this check instead of
/// ArgumentParser reading `-3` as an option and answering "Missing value for '--threads'".
enum OptionCheck {
    static func atLeast<T: Comparable>(_ minimum: T, _ value: T?, _ option: String) throws {
        if let value, !(value >= minimum) { throw ValidationError("\(option) must be at least \(minimum), got \(value)") }
    }

    static func atLeast<T: Comparable>(_ minimum: T, _ values: [T], _ option: String) throws {
        for v in values { try atLeast(minimum, v, option) }
    }

    /// A fraction: 0 ≤ value < 1, or 0 < value ≤ 1 when `zero` is false.
    static func fraction(_ value: Double?, _ option: String, zero: Bool) throws {
        guard let value else { return }
        let ok = zero ? (value >= 0 && value < 1) : (value > 0 && value <= 1)
        if !ok { throw ValidationError("\(option) must be in \(zero ? "[0, 1)" : "(0, 1]"), got \(value)") }
    }
}
