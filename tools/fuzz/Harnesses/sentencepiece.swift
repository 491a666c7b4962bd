import Foundation
import PolylensModel
import PolylensTokenizer

/// A SentencePiece `.model` (protobuf ModelProto), then an encode and a decode with it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "tokenizer.model")
    guard let tok = try? SentencePieceModelFile.load(url) else { return 0 }
    TokenizerProbe.exercise(tok)
    return 0
}
