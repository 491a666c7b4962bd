import Foundation
import PolylensModel

/// Where an ingest stands, reported after every document and prompt of this call's work.
///
/// The totals come from the ingest plan, made before the model runs: only documents and prompts this
/// call will compute or store, never those the token budget skips or an earlier call committed. The
/// ETA is in tokens through the model, the unit the time is spent on.
public struct IngestProgress: Sendable {
    /// Documents and prompts of this call's work handled so far, of all of them.
    public var itemsDone: Int
    public var itemsTotal: Int
    /// Tokens through the model in this call, of all it will run, and the seconds it has taken.
    public var tokens: WorkProgress
    /// Documents committed per language, in this call and before it.
    public var documentsPerLanguage: [String: Int]

    public init(itemsDone: Int, itemsTotal: Int, tokensDone: Int, tokensTotal: Int, seconds: Double,
                documentsPerLanguage: [String: Int]) {
        self.itemsDone = itemsDone; self.itemsTotal = itemsTotal
        tokens = WorkProgress(task: "ingest", unit: "tokens", done: tokensDone, total: tokensTotal, seconds: seconds)
        self.documentsPerLanguage = documentsPerLanguage
    }

    public var isFinished: Bool { itemsDone >= itemsTotal }
    public var tokensPerSecond: Double { tokens.rate }
    public var eta: Double? { tokens.eta }

    /// One line: `ingest 120/4,648 documents · 35,120/412,000 tokens · 3,512 tokens/s · ETA 1m47s · C 40 Python 80`.
    public var line: String {
        let time = isFinished ? "done in \(WorkProgress.duration(tokens.seconds))" : "ETA \(eta.map(WorkProgress.duration) ?? "?")"
        let languages = documentsPerLanguage.keys.sorted().map { "\($0) \(documentsPerLanguage[$0] ?? 0)" }.joined(separator: " ")
        return "ingest \(WorkProgress.count(itemsDone))/\(WorkProgress.count(itemsTotal)) documents · "
            + "\(WorkProgress.count(tokens.done))/\(WorkProgress.count(tokens.total)) tokens · "
            + "\(WorkProgress.count(Int(tokens.rate.rounded()))) tokens/s · \(time)" + (languages.isEmpty ? "" : " · " + languages)
    }
}
