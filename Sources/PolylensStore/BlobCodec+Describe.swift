import Foundation

extension BlobCodec {
    /// `<f16 [5, 192]>`: how `polylens sql` shows a blob in a table; `<blob N bytes>` when it is not a Polylens blob.
    public static func describe(_ data: Data) -> String {
        guard let h = try? header(data) else { return "<blob \(data.count) bytes>" }
        return "<\(h.dtype.name) [\(h.shape.map(String.init).joined(separator: ", "))]>"
    }
}
