import Foundation
import PolylensModel

/// GGUF header, metadata and tensor table (GGUFFile), then the llama hyperparameters and every tensor's
/// bytes (GGUFCheckpoint): the last element of each tensor is read, so a range check missed at load traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "model.gguf")
    guard let gguf = try? GGUFFile(url) else { return 0 }
    for name in gguf.tensorOrder {
        guard let t = try? gguf.tensor(name), t.count > 0, t.dtype != .q8_0 else { continue }
        var x: Float = 0
        t.copyFloats(into: &x, start: t.count - 1, count: 1)
    }
    guard let weights = try? GGUFCheckpoint(gguf) else { return 0 }
    for t in weights.config.tensors {
        guard let v = try? weights.tensor(t), v.count >= 32 else { continue }
        var x = [Float](repeating: 0, count: 32)
        x.withUnsafeMutableBufferPointer { v.copyFloats(into: $0.baseAddress!, start: v.count / 32 * 32 - 32, count: 32) }
    }
    return 0
}
