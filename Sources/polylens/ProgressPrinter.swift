import ArgumentParser
import Foundation
import PolylensIngest
import PolylensModel

/// Progress on stderr: on a terminal one line rewritten at most four times a second; elsewhere (a log
/// file, a cluster job) plain lines, the first at once, then one every `interval` seconds and the last.
final class ProgressPrinter {
    enum Style: Equatable { case terminal, lines(interval: Double) }

    let style: Style
    private let write: (String) -> Void
    private var last = Date.distantPast
    private var pending = false

    init(style: Style, write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.style = style; self.write = write
    }

    /// Terminal: rewritten lines. Not a terminal: plain lines when `forced` (`--progress`), else nothing.
    static func forStandardError(forced: Bool = false, interval: Double = 10) -> ProgressPrinter? {
        if isatty(2) != 0 { return ProgressPrinter(style: .terminal) }
        return forced ? ProgressPrinter(style: .lines(interval: interval)) : nil
    }

    func update(_ line: String, finished: Bool) {
        let now = Date()
        switch style {
        case .terminal:
            guard finished || now.timeIntervalSince(last) >= 0.25 else { return }
            write("\r\u{1B}[K" + line)
            pending = true
        case .lines(let interval):
            guard finished || now.timeIntervalSince(last) >= interval else { return }
            write(line + "\n")
        }
        last = now
    }

    func update(_ p: IngestProgress) { update(p.line, finished: p.isFinished) }
    func update(_ p: WorkProgress) { update(p.line, finished: p.isFinished) }

    /// Ends a rewritten line, so that what follows starts on its own.
    func finish() {
        if pending { write("\n") }
        pending = false
    }
}

/// `--progress` and `--progress-interval`, shared by every command that can run for long.
struct ProgressOptions: ParsableArguments {
    @Flag(help: "Progress on stderr as plain periodic lines even when it is not a terminal (logs, cluster jobs).")
    var progress = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds between plain progress lines.", valueName: "SECONDS"))
    var progressInterval: Double = 10

    func validate() throws {
        if !(progressInterval > 0) { throw ValidationError("--progress-interval must be positive, got \(progressInterval)") }
    }

    func printer() -> ProgressPrinter? { ProgressPrinter.forStandardError(forced: progress, interval: progressInterval) }
}
