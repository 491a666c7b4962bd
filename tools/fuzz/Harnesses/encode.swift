import Foundation
import PolylensModel
import PolylensTokenizer

/// The shared real tokenizers on arbitrary input bytes: ids in range, and for byte-level BPE (Llama 3, whose
/// decode is exact) the text back unchanged. Loaded once per process.
let tokenizers: [(name: String, tokenizer: Tokenizer, exact: Bool)] = [
    ("polycode tokenizer.model", "models/polycode/tokenizer.model", false),
    ("polycode tokenizer.json", "models/polycode/tokenizer.json", false),
    ("llama2.c tok512.bin", "models/llama2c/tok512.bin", false),
    ("llama3 tokenizer.model", "models/llama3/tokenizer.model", true),
].map { name, path, exact in
    do { return (name, try TokenizerLoader.load(SharedFiles.url(path)), exact) } catch {
        fatalError("cannot load \(path) from ../shared (POLYLENS_SHARED): \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for (name, tok, exact) in tokenizers {
        for special in [false, true] {
            let ids = tok.encode(text, addBOS: true, parseSpecial: special)
            precondition(ids.allSatisfy { $0 >= 0 && $0 < tok.vocabSize }, "\(name): id outside the vocabulary")
            _ = tok.decode(ids)
        }
        // Without BOS and special tokens, byte-level BPE gives every byte back.
        if exact {
            let back = tok.decode(tok.encode(text, addBOS: false, parseSpecial: false))
            precondition(back == text, "\(name): decode(encode(text)) differs from the text")
        }
    }
    return 0
}
