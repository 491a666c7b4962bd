import Foundation
import PolylensModel
import PolylensTokenizer

/// GGUF vocabularies (`tokenizer.ggml.*`, SentencePiece "llama" and byte-level "gpt2"), then an encode and a
/// decode with the tokenizer built from them; every id must lie in the vocabulary.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    TokenizerProbe.run(data, size, named: "vocab.gguf") { try TokenizerLoader.fromGGUF(GGUFFile($0)) }
}
