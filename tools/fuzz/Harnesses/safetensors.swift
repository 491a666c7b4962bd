import Foundation
import PolylensModel

/// A `.safetensors` file: header length, JSON header, tensor ranges; the last element of each tensor is read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "model.safetensors")
    guard let file = try? SafetensorsFile(url) else { return 0 }
    for name in file.tensorOrder {
        guard let t = try? file.tensor(name), t.count > 0 else { continue }
        var x: Float = 0
        t.copyFloats(into: &x, start: t.count - 1, count: 1)
    }
    return 0
}
