import Foundation
import PolylensStore

/// A Polylens tensor blob (header, LZ4 block, CRC): header() alone, then decode(); what decodes must match
/// its header.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    guard let header = try? BlobCodec.header(raw) else { return 0 }
    guard let blob = try? BlobCodec.decode(raw) else { return 0 }
    precondition(blob.shape == header.shape && blob.bytes.count == header.rawBytes, "decode disagrees with header")
    if blob.count > 0 { _ = blob.element(blob.count - 1) }
    return 0
}
