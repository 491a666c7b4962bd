import Foundation
import PolylensModel
import PolylensTokenizer

/// A tiktoken rank file (`base64 rank` lines), then an encode; byte-level BPE must give the text back exactly.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let url = FuzzInput.file(data, size, named: "ranks.tiktoken")
    guard let tok = try? ByteLevelBPE(tiktokenRanks: url) else { return 0 }
    let ids = tok.encode(TokenizerProbe.text, addBOS: false, parseSpecial: false)
    precondition(ids.allSatisfy { $0 >= 0 && $0 < tok.vocabSize }, "id outside the vocabulary")
    precondition(tok.decode(ids) == TokenizerProbe.text, "byte-level round trip changed the text")
    return 0
}
