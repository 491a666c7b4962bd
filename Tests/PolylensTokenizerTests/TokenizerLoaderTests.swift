import XCTest
import PolylensModel
@testable import PolylensTokenizer

final class TokenizerLoaderTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("polylens-loader-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ data: Data) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    func testFormatsAreRecognisedFromContent() throws {
        let cases: [(String, TokenizerLoader.Format)] = [
            ("models/llama2c/tokenizer.model", .sentencePieceModel),
            ("models/llama2c/tok512.model", .sentencePieceModel),
            ("models/llama2c/tokenizer.bin", .llama2c),
            ("models/llama2c/tok512.bin", .llama2c),
            ("models/llama3/tokenizer.model", .tiktokenRanks),
            ("models/polycode/tokenizer.json", .tokenizerJSON),
            ("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf", .gguf),
        ]
        for (path, format) in cases {
            XCTAssertEqual(try TokenizerLoader.detect(MappedFile(SharedFiles.url(path))), format, path)
        }
        // The name does not matter: a SentencePiece model called tokenizer.bin is still one.
        let renamed = try write("tokenizer.bin", Data(contentsOf: SharedFiles.url("models/llama2c/tok512.model")))
        XCTAssertEqual((try TokenizerLoader.load(renamed) as? SentencePieceBPE)?.normalization.removeExtraWhitespaces, true)
    }

    /// Every shared tokenizer loads through the one entry point, as the right kind.
    func testEveryFormatLoads() throws {
        let cases: [(String, Int, Tokenizer.Type)] = [
            ("models/llama2c/tokenizer.model", 32000, SentencePieceBPE.self),
            ("models/llama2c/tokenizer.bin", 32000, SentencePieceBPE.self),
            ("models/llama3/tokenizer.model", 128256, ByteLevelBPE.self),
            ("models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf", 32000, SentencePieceBPE.self),
            ("models/llama.cpp-vocab/ggml-vocab-starcoder.gguf", 49152, ByteLevelBPE.self),
        ]
        for (path, size, kind) in cases {
            let tok = try TokenizerLoader.load(SharedFiles.url(path))
            XCTAssertEqual(tok.vocabSize, size, path)
            XCTAssertTrue(type(of: tok) == kind, "\(path): \(type(of: tok))")
        }
        let json = try TokenizerLoader.load(SharedFiles.url("models/polycode/tokenizer.json"))
        XCTAssertEqual(json.vocabSize, 4096)
        XCTAssertEqual(json.encode("def f(x):", addBOS: true, parseSpecial: false).first, 1)
        assertError(SharedFiles.url("models/llama.cpp-vocab/ggml-vocab-bert-bge.gguf"), contains: "bert is not supported")
    }

    func testModelDirectoryPrefersTokenizerModelAndSaysSo() throws {
        let found = try XCTUnwrap(TokenizerLoader.tokenizerFile(forModel: SharedFiles.url("models/polycode")))
        XCTAssertEqual(found.url.lastPathComponent, "tokenizer.model")
        XCTAssertNotNil(found.note)
        XCTAssertNil(TokenizerLoader.tokenizerFile(forModel: SharedFiles.url("models/llama2c/stories260K.bin")))
        XCTAssertNil(try TokenizerLoader.forModel(dir))
    }

    /// stories260K-f32.gguf carries the tok512 vocabulary; its tokenizer must give tok512.bin's ids.
    func testGGUFModelUsesItsEmbeddedVocabulary() throws {
        let gguf = try XCTUnwrap(TokenizerLoader.forModel(SharedFiles.url("models/gguf/stories260K-f32.gguf")))
        let bin = try LlamaTwoCTokenizerFile.load(SharedFiles.url("models/llama2c/tok512.bin"))
        XCTAssertEqual(gguf.vocabSize, 512)
        let text = try String(contentsOf: SharedFiles.url("models/llama2c/stories260K.expected-greedy-200.txt"), encoding: .utf8)
        XCTAssertEqual(gguf.encode(text, addBOS: true, parseSpecial: false), bin.encode(text, addBOS: true, parseSpecial: false))
    }

    func assertError(_ url: URL, contains problem: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try TokenizerLoader.load(url), file: file, line: line) { e in
            let message = "\(e)"
            XCTAssertTrue(message.hasPrefix(url.path + ": "), message, file: file, line: line)
            XCTAssertTrue(message.contains(problem), message, file: file, line: line)
            XCTAssertFalse(message.contains("\n"), message, file: file, line: line)
        }
    }

    func testDamagedAndWrongFilesAreOneLineErrorsNamingTheFile() throws {
        let model = try Data(contentsOf: SharedFiles.url("models/llama2c/tokenizer.model"))
        assertError(try write("empty", Data()), contains: "empty file")
        assertError(try write("cut.model", model.prefix(model.count / 2)), contains: "truncated protobuf")
        var rng = SystemRandomNumberGenerator()
        assertError(try write("random", Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next() | 0x80) })),
                    contains: "not a tokenizer file")
        assertError(try write("words.txt", Data("hello world\nthis is text\n".utf8)), contains: "not a tokenizer file")
        assertError(dir.appendingPathComponent("missing.model"), contains: "cannot open")
        let unigram = try write("unigram.model", Self.modelWithTrainerField(type: 1, from: model))
        assertError(unigram, contains: "UNIGRAM is not supported")
        let bin = try Data(contentsOf: SharedFiles.url("models/llama2c/tokenizer.bin"))
        assertError(try write("cut.bin", bin.prefix(10_000)), contains: "truncated")
        let gguf = try Data(contentsOf: SharedFiles.url("models/llama.cpp-vocab/ggml-vocab-phi-3.gguf"))
        assertError(try write("cut.gguf", gguf.prefix(300_000)), contains: "truncated")
    }

    /// The model with its trainer_spec replaced by one that only says `model_type: <type>`.
    static func modelWithTrainerField(type: UInt8, from model: Data) throws -> Data {
        var out = Data()
        var i = 0
        let b = [UInt8](model)
        func varint() -> Int {
            var v = 0, s = 0
            while true { let c = b[i]; i += 1; v |= Int(c & 0x7F) << s; s += 7; if c < 0x80 { return v } }
        }
        while i < b.count {
            let start = i
            let key = varint()
            precondition(key & 7 == 2, "test fixture: ModelProto fields are length-delimited")
            let n = varint()
            i += n
            if key >> 3 == 2 { out += [0x12, 2, 0x18, type] } else { out += b[start..<i] }
        }
        return out
    }
}
