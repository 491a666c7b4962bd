import Foundation

/// Line output to stdout through one buffer, so exports of millions of lines are not bound by write calls.
final class BufferedStdout {
    private var buffer = Data()

    func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        FileHandle.standardOutput.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
