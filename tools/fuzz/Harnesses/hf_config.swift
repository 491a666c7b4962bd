import Foundation
import PolylensModel

/// A Hugging Face `config.json`; what it accepts must pass the checkpoint limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "config.json")
    guard let config = try? LlamaConfig(huggingFaceConfig: url) else { return 0 }
    precondition((try? config.checkLimits(url)) != nil, "accepted a config outside the limits")
    _ = config.parameterCount
    return 0
}
