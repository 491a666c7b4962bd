import Foundation

/// Where an ingest stands, reported after every document and prompt.
public struct IngestProgress: Sendable {
    /// Documents and prompts handled so far (computed, held out, or found already committed).
    public var done: Int
    public var total: Int
    /// Bytes of the handled documents, against all documents' bytes, and of those run through the
    /// model in this process: the basis of the ETA.
    public var bytesDone: Int
    public var bytesTotal: Int
    public var bytesComputed: Int
    /// Tokens run through the model in this process, and the seconds it has taken.
    public var tokensComputed: Int
    public var seconds: Double
    /// Documents committed per language, in this process and before it.
    public var documentsPerLanguage: [String: Int]

    public var tokensPerSecond: Double { seconds > 0 ? Double(tokensComputed) / seconds : 0 }

    /// Seconds left at the byte rate so far; nil before there is a rate.
    public var eta: Double? {
        guard bytesComputed > 0, seconds > 0 else { return nil }
        return Double(bytesTotal - bytesDone) * seconds / Double(bytesComputed)
    }

    /// One terminal line: `ingest 120/4648 docs · 3,512 tok/s · ETA 1m20s · C 40 Python 80`.
    public var line: String {
        let etaText = eta.map { Self.duration($0) } ?? "?"
        let languages = documentsPerLanguage.keys.sorted().map { "\($0) \(documentsPerLanguage[$0] ?? 0)" }.joined(separator: " ")
        return "ingest \(done)/\(total) · \(Int(tokensPerSecond.rounded())) tok/s · ETA \(etaText) · \(languages)"
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" }
        if t >= 60 { return "\(t / 60)m\(String(format: "%02d", t % 60))s" }
        return "\(t)s"
    }
}
