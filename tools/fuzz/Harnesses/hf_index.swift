import Foundation
@testable import PolylensModel

/// `model.safetensors.index.json`: the weight map of a sharded checkpoint; every shard must be a plain name.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "model.safetensors.index.json")
    guard let map = try? HuggingFaceCheckpoint.weightMap(url) else { return 0 }
    precondition(map.values.allSatisfy { !$0.contains("/") && $0 != ".." }, "a shard outside the directory")
    return 0
}
