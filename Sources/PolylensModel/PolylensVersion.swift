/// Recorded in every file Polylens writes.
public enum PolylensVersion {
    public static let string = "0.1.0"
}
