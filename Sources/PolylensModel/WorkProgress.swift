import Foundation

/// How far a long task has got, counted in units of roughly even cost (tokens through the model,
/// prompts through the lens), so that the ETA — the units left at the rate so far — is honest.
/// `total` counts only the work this call will do, never work skipped or already done.
public struct WorkProgress: Sendable, Equatable {
    public var task: String
    public var unit: String
    public var done: Int
    public var total: Int
    public var seconds: Double
    /// Free text after the numbers (e.g. documents per language).
    public var detail: String

    public init(task: String, unit: String, done: Int, total: Int, seconds: Double, detail: String = "") {
        self.task = task; self.unit = unit; self.done = done; self.total = total; self.seconds = seconds; self.detail = detail
    }

    public var isFinished: Bool { done >= total }
    public var rate: Double { seconds > 0 ? Double(done) / seconds : 0 }

    /// Seconds left at the rate so far; nil before there is a rate.
    public var eta: Double? {
        guard done > 0, seconds > 0 else { return nil }
        return Double(max(total - done, 0)) * seconds / Double(done)
    }

    /// `ablate 12,345/50,000 tokens · 3,512 tokens/s · ETA 1m20s · detail` (elapsed time instead of the ETA when finished).
    public var line: String {
        let time = isFinished ? "done in \(Self.duration(seconds))" : "ETA \(eta.map(Self.duration) ?? "?")"
        let head = "\(task) \(Self.count(done))/\(Self.count(total)) \(unit) · \(Self.count(Int(rate.rounded()))) \(unit)/s · \(time)"
        return detail.isEmpty ? head : head + " · " + detail
    }

    /// `1h05m`, `9m28s`, `42s`.
    public static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }

    /// `1,234,567`.
    public static func count(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }
}

/// Keeps the clock of one task and hands a `WorkProgress` to `report` as units are done.
public final class ProgressMeter {
    public private(set) var progress: WorkProgress
    private let start = Date()
    private let report: ((WorkProgress) -> Void)?

    public init(task: String, unit: String, total: Int, report: ((WorkProgress) -> Void)?) {
        progress = WorkProgress(task: task, unit: unit, done: 0, total: total, seconds: 0)
        self.report = report
    }

    public func advance(by units: Int, detail: String? = nil) {
        progress.done += units
        progress.seconds = Date().timeIntervalSince(start)
        if let detail { progress.detail = detail }
        report?(progress)
    }
}
