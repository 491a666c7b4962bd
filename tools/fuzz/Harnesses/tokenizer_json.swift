import Foundation
import PolylensModel
import PolylensTokenizer

/// A Hugging Face `tokenizer.json` (BPE, byte-level or Metaspace), then an encode and a decode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TokenizerProbe.run(data, size, named: "tokenizer.json") { try HFTokenizerJSON.load($0) }
}
