import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one way commands write their answer: C's stdout (which `print` also uses, so the two never reorder),
/// fully buffered in 64 KiB, and checked. A write or the final flush that fails (a full disk, /dev/full)
/// ends the command with one line on stderr and status 1 instead of a silently truncated answer.
enum StandardOutput {
    /// Called once before a command runs: terminals keep line buffering, files and pipes get a large buffer.
    /// A write past the file size limit (`ulimit -f`) fails with EFBIG and is reported like a full disk,
    /// instead of SIGXFSZ killing the process without a word.
    static func prepare() {
        if isatty(1) == 0 { setvbuf(stdout, nil, _IOFBF, 1 << 16) }
        signal(SIGXFSZ, SIG_IGN)
    }

    static func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    static func write(_ data: Data) { data.withUnsafeBytes { write($0) } }

    /// One line of a stream (export, sql): text and its line end.
    static func line(_ text: String) { write(text); write("\n") }

    /// Flushes what is buffered; called when the command ends.
    static func finish() {
        if fflush(stdout) != 0 || ferror(stdout) != 0 { fail(errno) }
    }

    private static func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        if fwrite(base, 1, bytes.count, stdout) != bytes.count || ferror(stdout) != 0 { fail(errno) }
    }

    private static func fail(_ code: Int32) -> Never {
        FileHandle.standardError.write(Data("polylens: cannot write to standard output: \(String(cString: strerror(code)))\n".utf8))
        clearerr(stdout)
        _exit(1)
    }
}
