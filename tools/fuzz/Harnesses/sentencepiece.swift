import Foundation
import PolylensModel
import PolylensTokenizer

/// A SentencePiece `.model` (protobuf ModelProto), then an encode and a decode with it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TokenizerProbe.run(data, size, named: "tokenizer.model") { try SentencePieceModelFile.load($0) }
}
