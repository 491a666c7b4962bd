extension BootstrapInterval {
    /// How the intervals that commands and the report make are made (the default resamples, 95%), stated
    /// once so that the output, the stored settings and the report say the same.
    public static var standardMethod: String {
        BootstrapInterval(estimate: .nan, low: .nan, high: .nan, level: 0.95, resamples: Bootstrap.defaultResamples).method
    }
}
