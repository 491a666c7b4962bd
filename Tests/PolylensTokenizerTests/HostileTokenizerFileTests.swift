import Foundation
import PolylensModel
@testable import PolylensTokenizer
import XCTest

/// Crafted tokenizer files from issue 14: bounded load time on vocabularies with enormous pieces, special
/// files refused instead of waited on, and messages that quote the file only as a short printable excerpt.
final class HostileTokenizerFileTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("polylens-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { [dir] in try? FileManager.default.removeItem(at: dir!) }
    }

    private static func varint(_ v: Int) -> Data {
        var v = UInt64(v), out = Data()
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
        return out
    }

    /// A ModelProto `pieces` field (text, score, type NORMAL) in wire format.
    private static func pieceField(_ text: String, score: Float) -> Data {
        var piece = Data([0x0A]) + varint(text.utf8.count) + Data(text.utf8)
        piece += Data([0x15]) + withUnsafeBytes(of: score.bitPattern.littleEndian) { Data($0) }
        return Data([0x0A]) + varint(piece.count) + piece
    }

    /// tok512.model with one more piece of 200,000 characters appended (protobuf fields may come in any
    /// order): loading took 45 s, quadratic in the piece's length.
    func testSentencePieceWithAHugePieceLoadsInBoundedTime() throws {
        let original = try Data(contentsOf: SharedFiles.url("models/llama2c/tok512.model"))
        let url = dir.appendingPathComponent("huge.model")
        try (original + Self.pieceField("▁" + String(repeating: "a", count: 200_000), score: -1e9)).write(to: url)
        let start = Date()
        let tok = try SentencePieceModelFile.load(url)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertEqual(tok.vocabSize, 513)
        // The other 512 pieces encode as before.
        let reference = try SentencePieceModelFile.load(SharedFiles.url("models/llama2c/tok512.model"))
        let text = "Once upon a time, there was a little girl named Lily."
        XCTAssertEqual(tok.encode(text, addBOS: true, parseSpecial: false), reference.encode(text, addBOS: true, parseSpecial: false))
    }

    /// The same attack on a tiktoken rank file: one token of 200,000 bytes after the 256 single bytes.
    func testTiktokenWithAHugeTokenLoadsInBoundedTime() throws {
        var lines = (0..<256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)" }
        lines.append("\(Data(repeating: UInt8(ascii: "a"), count: 200_000).base64EncodedString()) 256")
        lines.append("\(Data("aa".utf8).base64EncodedString()) 257")
        let url = dir.appendingPathComponent("huge.tiktoken")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: url)
        let start = Date()
        let tok = try ByteLevelBPE(tiktokenRanks: url)
        XCTAssertLessThan(Date().timeIntervalSince(start), 3)
        XCTAssertEqual(tok.encode("aaaa", addBOS: false, parseSpecial: false), [257, 257])
        XCTAssertEqual(tok.decode([256]).count, 200_000)
    }

    /// A FIFO where a tokenizer is expected blocked forever; now every format's reader refuses it at once.
    func testFIFOsAreRefusedNotWaitedOn() throws {
        let fifo = dir.appendingPathComponent("tokenizer.json")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        let readers: [(String, () throws -> Any)] = [
            ("loader", { try TokenizerLoader.load(fifo) }),
            ("tokenizer.json", { try HFTokenizerJSON.load(fifo) }),
            ("tiktoken", { try ByteLevelBPE(tiktokenRanks: fifo) }),
            ("sentencepiece", { try SentencePieceModelFile.load(fifo) }),
        ]
        for (name, read) in readers {
            let done = expectation(description: name)
            nonisolated(unsafe) var message = ""
            DispatchQueue.global().async {
                do { _ = try read() } catch { message = "\(error)" }
                done.fulfill()
            }
            wait(for: [done], timeout: 5)
            XCTAssertEqual(message, "\(fifo.path): not a regular file (a FIFO, device, socket or directory)", name)
        }
    }

    /// A piece holding terminal escapes and 50 KB of text: the message shows a short, escaped excerpt.
    func testMessagesQuoteOnlyAShortPrintableExcerpt() throws {
        let text = "\u{1B}]0;pwned\u{07}" + String(repeating: "x", count: 50_000)
        let pieces: [SentencePieceBPE.Piece] = [.init("<unk>", score: 0, type: .unknown), .init(text, score: 0, type: .byte)]
        let url = dir.appendingPathComponent("source.model")
        XCTAssertThrowsError(try SentencePieceBPE(pieces: pieces, normalization: .init(), byteFallback: true,
                                                  bosId: nil, eosId: nil, source: url)) { e in
            let message = "\(e)"
            XCTAssertTrue(message.hasPrefix("\(url.path): byte piece 1 is \"\\u{1b}]0;pwned\\u{7}xxx"), message)
            XCTAssertFalse(message.unicodeScalars.contains { $0.value < 0x20 })
            XCTAssertLessThan(message.count, url.path.count + 420)
        }
    }
}
