import Foundation

/// Encoding speed of a tokenizer on one thread, for `polylens bench tokenizer` (MB = 10^6 bytes of UTF-8).
public enum TokenizerBenchmark {
    public struct Measurement: Sendable {
        public let bytes: Int
        public let tokens: Int
        /// The first encode of the text: memo caches start empty if the tokenizer was freshly loaded.
        public let firstPassSeconds: Double
        /// The fastest of the repeated encodes that follow.
        public let bestSeconds: Double
        public let passes: Int

        public var megabytesPerSecond: Double { Double(bytes) / bestSeconds / 1e6 }
        public var firstPassMegabytesPerSecond: Double { Double(bytes) / firstPassSeconds / 1e6 }
    }

    /// Encodes `text` (no BOS, no special parsing) once cold, then again until `minimumSeconds` have passed
    /// (at least three times), on the calling thread.
    public static func measure(tokenizer: Tokenizer, text: String, minimumSeconds: Double = 2) -> Measurement {
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double {
            Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var tokens = 0
        let first = seconds(clock.measure { tokens = tokenizer.encode(text, addBOS: false, parseSpecial: false).count })
        var best = Double.infinity
        var total = 0.0
        var passes = 0
        while passes < 3 || total < minimumSeconds {
            let s = seconds(clock.measure { _ = tokenizer.encode(text, addBOS: false, parseSpecial: false) })
            best = min(best, s)
            total += s
            passes += 1
        }
        return Measurement(bytes: text.utf8.count, tokens: tokens, firstPassSeconds: first, bestSeconds: best,
                           passes: passes)
    }
}
