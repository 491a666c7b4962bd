import Foundation
import PolylensModel
import PolylensTokenizer

/// A Hugging Face `tokenizer.json` (BPE, byte-level or Metaspace), then an encode and a decode.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "tokenizer.json")
    guard let tok = try? HFTokenizerJSON.load(url) else { return 0 }
    TokenizerProbe.exercise(tok)
    return 0
}
