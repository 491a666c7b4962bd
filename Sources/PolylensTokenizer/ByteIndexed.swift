/// A table with one entry per byte value. Indexing by a `UInt8` is in range by its type, so lookups skip the
/// bounds check an `[T]` would repeat for every byte of the text in the encoders' hot loops (release builds
/// keep bounds checks outside the engine).
struct ByteIndexed<Element>: Sendable where Element: Sendable {
    private let storage: [Element]

    init(_ entry: (UInt8) throws -> Element) rethrows {
        storage = try (0...255).map { try entry(UInt8($0)) }
    }

    @inline(__always)
    subscript(byte: UInt8) -> Element {
        // 256 entries: every UInt8 is a valid index.
        storage.withUnsafeBufferPointer { $0[Int(byte)] }
    }
}
