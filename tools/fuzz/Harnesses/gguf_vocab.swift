import Foundation
import PolylensModel
import PolylensTokenizer

/// GGUF vocabularies (`tokenizer.ggml.*`, SentencePiece "llama" and byte-level "gpt2"), then an encode and a
/// decode with the tokenizer built from them; every id must lie in the vocabulary.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "vocab.gguf")
    guard let gguf = try? GGUFFile(url), let tok = try? TokenizerLoader.fromGGUF(gguf) else { return 0 }
    TokenizerProbe.exercise(tok)
    return 0
}
