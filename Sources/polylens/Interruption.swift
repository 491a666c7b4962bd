import Foundation

/// Ctrl-C (SIGINT) and SIGTERM as a request that long commands check between units of work, so they stop
/// where the file is consistent and say what is committed. A second signal ends the process at once.
enum Interruption {
    /// Whether a signal has arrived since `install`.
    static var requested: Bool { signalsReceived > 0 }

    static func install() {
        for s in [SIGINT, SIGTERM] {
            signal(s) { _ in
                signalsReceived += 1
                if signalsReceived > 1 { _exit(130) }
                _ = interruptNote.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count) }
            }
        }
    }
}

/// Set only by the signal handler (one word, read between documents).
private var signalsReceived = 0
/// Made before any signal, so that the handler only calls write(2).
private let interruptNote = Array("\npolylens: interrupted; stopping after the current document (again to stop at once)\n".utf8)
