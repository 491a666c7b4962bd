import Foundation
import PolylensIngest

/// Rewrites one status line on stderr, at most a few times a second, and only when stderr is a terminal.
final class ProgressPrinter {
    private var last = Date.distantPast
    private var printed = false

    /// nil when stderr is not a terminal: no progress at all then.
    static func forStandardError() -> ProgressPrinter? { isatty(2) != 0 ? ProgressPrinter() : nil }

    func update(_ p: IngestProgress) {
        let now = Date()
        guard now.timeIntervalSince(last) >= 0.25 || p.done == p.total else { return }
        last = now
        printed = true
        FileHandle.standardError.write(Data("\r\u{1B}[K\(p.line)".utf8))
    }

    func finish() {
        if printed { FileHandle.standardError.write(Data("\n".utf8)) }
        printed = false
    }
}
