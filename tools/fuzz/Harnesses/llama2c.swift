import Foundation
import PolylensModel

/// A llama2.c checkpoint (seven int32 header fields, then f32 tensors); every tensor's last element is read.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "model.bin")
    guard let weights = try? Llama2cCheckpoint(url) else { return 0 }
    for t in weights.config.tensors {
        guard let v = try? weights.tensor(t), v.count > 0 else { continue }
        var x: Float = 0
        v.copyFloats(into: &x, start: v.count - 1, count: 1)
    }
    return 0
}
