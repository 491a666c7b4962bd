import Foundation

/// Hands each concurrent `encode` its own scratch state (buffers and memo), so encoding never locks per piece.
/// The state is a struct that `encode` holds in a local variable and passes down `inout`: a class's stored
/// properties would cost a dynamic exclusivity check on every access in the hot loops (swift_beginAccess),
/// which release builds keep because only the engine is built with `-Ounchecked`.
final class ScratchPool<Scratch>: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [Scratch] = []
    private let make: () -> Scratch
    /// More than this many concurrent callers' states are not kept.
    private static var limit: Int { 16 }

    init(_ make: @escaping () -> Scratch) { self.make = make }

    func take() -> Scratch {
        lock.lock()
        defer { lock.unlock() }
        return free.popLast() ?? make()
    }

    func give(_ scratch: Scratch) {
        lock.lock()
        defer { lock.unlock() }
        if free.count < Self.limit { free.append(scratch) }
    }
}
