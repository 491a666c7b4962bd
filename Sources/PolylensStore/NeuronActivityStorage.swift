/// What the activation histograms and top contexts (issue 12) cost in a file, for `polylens estimate`.
public enum NeuronActivityStorage {
    /// Raw bytes per stored byte (byte-shuffle filter, then LZ4): the midpoints of what `polylens info` measured on
    /// polycode (C headers and Python's standard library, 20,000 tokens per language, 30 parallel items: histograms
    /// 3.96, contexts 3.24) and stories260K (40,000 tokens per language: 3.52 and 4.19); the zero high-byte planes
    /// of counts, ids and document numbers vanish. A corpus of 10⁸ tokens per language holds larger counts and
    /// compresses less: measured values, not bounds.
    public static let histogramRatio = 3.7
    public static let contextRatio = 3.7

    /// Raw bytes: histograms i32 [neurons, 40] per (language, layer); per (scope, layer) contexts of k slots
    /// of value f32, document i64, position i32 and before + 1 + after i32 token ids, for scope `*` (k) and
    /// each language (perLanguage).
    public static func rawBytes(layers: Int, neurons: Int, languages: Int, histograms: Bool, contexts: ContextShape?) -> Int {
        var bytes = histograms ? languages * layers * neurons * ActivationBins.count * 4 : 0
        if let c = contexts {
            let slot = 4 + 8 + 4 + 4 * c.window
            bytes += layers * neurons * slot * (c.k + languages * c.perLanguage)
        }
        return bytes
    }

    /// Estimated stored bytes (blob bytes after LZ4, at the measured ratios; SQLite pages add about 1%).
    public static func estimatedBytes(layers: Int, neurons: Int, languages: Int, histograms: Bool = true,
                                      contexts: ContextShape? = ContextShape()) -> Int {
        let h = rawBytes(layers: layers, neurons: neurons, languages: languages, histograms: histograms, contexts: nil)
        let c = rawBytes(layers: layers, neurons: neurons, languages: languages, histograms: false, contexts: contexts)
        return Int((Double(h) / histogramRatio + Double(c) / contextRatio) * 1.01)
    }
}
