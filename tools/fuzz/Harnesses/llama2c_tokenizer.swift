import Foundation
import PolylensModel
import PolylensTokenizer

/// llama2.c's `tokenizer.bin` (max_token_len, then score/length/bytes records), then an encode and a decode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TokenizerProbe.run(data, size, named: "tokenizer.bin") { try LlamaTwoCTokenizerFile.load($0) }
}
