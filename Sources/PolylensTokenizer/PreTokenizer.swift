/// Cuts text into the pieces byte-level BPE encodes one by one, exactly as each model family's regex does.
/// The regexes are re-implemented as hand-written scanners over UTF-8 bytes: same pieces, no regex engine.
///
/// Families with one regex (Llama 3, GPT-2) scan directly. The others are llama.cpp's cascades (mirroring
/// the Hugging Face `Split` sequences): each stage cuts every piece of the previous stage into its matches
/// and the text between them, both kept.
public enum PreTokenizer: String, Sendable, CaseIterable {
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    case deepseekLLM = "deepseek-llm"
    case deepseekCoder = "deepseek-coder"
    /// `\p{N}` then GPT-2 (StarCoder, Refact, Command-R, SmolLM…).
    case starcoder
    case falcon
    /// llama.cpp's fallback for vocabularies without `tokenizer.ggml.pre` (e.g. GPT-NeoX).
    case `default`

    /// The pre-tokenizer a GGUF names in `tokenizer.ggml.pre` (llama.cpp's names), nil if unknown.
    public init?(ggufName: String) {
        switch ggufName {
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe", "pixtral": self = .llama3
        case "gpt-2", "mpt", "olmo", "jais", "phi-2", "roberta-bpe", "gigachat",
             "jina-es", "jina-de", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code": self = .gpt2
        case "deepseek-llm": self = .deepseekLLM
        case "deepseek-coder": self = .deepseekCoder
        case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b": self = .starcoder
        case "falcon": self = .falcon
        case "default": self = .default
        default: return nil
        }
    }

    /// Calls `emit(start, end)` for each piece of `text[start..<end]` in order; pieces are never empty.
    func split(_ text: UnsafeBufferPointer<UInt8>, _ emit: (Int, Int) -> Void) {
        guard let p = text.baseAddress, text.count > 0 else { return }
        let n = text.count
        switch self {
        case .llama3: Self.llama3(p, 0, n, emit)
        case .gpt2: Self.gpt2(p, 0, n, emit)
        case .deepseekLLM:
            Self.cascade([.newline, .spaceThen(.deepseekLetter), .spaceThen(.deepseekPunctuation),
                          .trailingSpace, .run(.cjk), .run(.number)], p, 0, n, emit)
        case .deepseekCoder:
            Self.cascade([.newline, .spaceThen(.letter), .spaceThen(.punctuation), .run(.cjk), .single(.number)],
                         p, 0, n, emit)
        case .starcoder: Self.cascade([.single(.number), .gpt2], p, 0, n, emit)
        case .falcon: Self.cascade([.run(.falconPunctuation), .gpt2, .digitTriple], p, 0, n, emit)
        case .default:
            Self.cascade([.run(.defaultPunctuation), .gpt2, .run(.number), .digitTriple], p, 0, n, emit)
        }
    }

    // MARK: single-regex scanners

    @inline(__always)
    private static func flagsAt(_ p: UnsafePointer<UInt8>, _ i: Int) -> UInt8 {
        let b = p[i]
        if b < 0x80 { return ascii[Int(b)] }
        return UnicodeClass.flags(UnicodeClass.scalar(p, i).value)
    }

    private static let ascii: [UInt8] = (0..<128).map { UnicodeClass.flags(UInt32($0)) }

    /// End of the run of scalars from `i` whose flags intersect `mask` (or avoid it, when `invert`).
    @inline(__always)
    private static func run(_ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int, _ mask: UInt8, invert: Bool = false) -> Int {
        var j = i
        while j < end {
            let b = p[j]
            if b < 0x80 {
                if (ascii[Int(b)] & mask != 0) == invert { break }
                j += 1
            } else {
                let s = UnicodeClass.scalar(p, j)
                if (UnicodeClass.flags(s.value) & mask != 0) == invert { break }
                j += s.length
            }
        }
        return j
    }

    @inline(__always)
    private static func length(_ p: UnsafePointer<UInt8>, _ i: Int) -> Int {
        let b = p[i]
        return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
    }

    /// Where a whitespace run `[i, j)` ends as a piece: `\s+(?!\S)` leaves the last space for the next word.
    @inline(__always)
    private static func spaceEnd(_ p: UnsafePointer<UInt8>, _ i: Int, _ j: Int, _ end: Int) -> Int {
        if j == end { return j }
        var last = j - 1
        while p[last] & 0xC0 == 0x80 { last -= 1 }
        return last > i ? last : j
    }

    private static let L = UnicodeClass.letter, N = UnicodeClass.number, S = UnicodeClass.whitespace

    private static func llama3(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ emit: (Int, Int) -> Void) {
        var i = start
        while i < end {
            let c = p[i]
            // (?i:'s|'t|'re|'ve|'m|'ll|'d); case folding also pairs s with ſ (U+017F).
            if c == 0x27, i + 1 < end {
                let c1 = p[i + 1] | 0x20
                if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { emit(i, i + 2); i += 2; continue }
                if p[i + 1] == 0xC5, i + 2 < end, p[i + 2] == 0xBF { emit(i, i + 3); i += 3; continue }
                if i + 2 < end {
                    let c2 = p[i + 2] | 0x20
                    if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) {
                        emit(i, i + 3); i += 3; continue
                    }
                }
            }
            let f = flagsAt(p, i)
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if f & L != 0 { let j = run(p, i, end, L); emit(i, j); i = j; continue }
            let n = length(p, i)
            if f & N == 0, c != 0x0D, c != 0x0A, i + n < end, flagsAt(p, i + n) & L != 0 {
                let j = run(p, i + n, end, L); emit(i, j); i = j; continue
            }
            // \p{N}{1,3}
            if f & N != 0 {
                var j = i + n
                for _ in 0..<2 where j < end && flagsAt(p, j) & N != 0 { j += length(p, j) }
                emit(i, j); i = j; continue
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            var k = i
            if c == 0x20, i + 1 < end, flagsAt(p, i + 1) & (S | L | N) == 0 { k = i + 1 }
            if k > i || f & S == 0 {
                var j = run(p, k, end, S | L | N, invert: true)
                while j < end, p[j] == 0x0D || p[j] == 0x0A { j += 1 }
                emit(i, j); i = j; continue
            }
            // \s*[\r\n]+ | \s+(?!\S) | \s+
            let j = run(p, i, end, S)
            var q = j - 1
            while q >= i, p[q] != 0x0D, p[q] != 0x0A { q -= 1 }
            let e = q >= i ? q + 1 : spaceEnd(p, i, j, end)
            emit(i, e); i = e
        }
    }

    private static func gpt2(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ emit: (Int, Int) -> Void) {
        var i = start
        while i < end {
            let c = p[i]
            // 's|'t|'re|'ve|'m|'ll|'d
            if c == 0x27, i + 1 < end {
                let c1 = p[i + 1]
                if c1 == 0x73 || c1 == 0x74 || c1 == 0x6D || c1 == 0x64 { emit(i, i + 2); i += 2; continue }
                if i + 2 < end {
                    let c2 = p[i + 2]
                    if (c1 == 0x72 && c2 == 0x65) || (c1 == 0x76 && c2 == 0x65) || (c1 == 0x6C && c2 == 0x6C) {
                        emit(i, i + 3); i += 3; continue
                    }
                }
            }
            //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+
            var k = i
            var f = flagsAt(p, i)
            if c == 0x20, i + 1 < end {
                let g = flagsAt(p, i + 1)
                if g & S == 0 { k = i + 1; f = g }
            }
            if f & L != 0 { let j = run(p, k, end, L); emit(i, j); i = j; continue }
            if f & N != 0 { let j = run(p, k, end, N); emit(i, j); i = j; continue }
            if k > i || f & S == 0 {
                let j = run(p, k, end, S | L | N, invert: true); emit(i, j); i = j; continue
            }
            // \s+(?!\S) | \s+
            let e = spaceEnd(p, i, run(p, i, end, S), end)
            emit(i, e); i = e
        }
    }

    // MARK: cascades

    private enum CharSet {
        case letter, number, punctuation, cjk, deepseekLetter, deepseekPunctuation, falconPunctuation,
             defaultPunctuation

        /// The same sets on ASCII, without table lookups (the hot case for source code).
        @inline(__always)
        private func containsASCII(_ v: UInt32) -> Bool {
            let letter = (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v)
            switch self {
            case .letter, .deepseekLetter: return letter
            case .number: return v >= 0x30 && v <= 0x39
            case .punctuation: return PreTokenizer.isASCIIPunctuation(v)
            case .cjk: return false
            case .deepseekPunctuation: return (0x21...0x2F).contains(v) || (0x3A...0x7E).contains(v)
            case .falconPunctuation:
                return PreTokenizer.isASCIIPunctuation(v) || v == 0x24 || v == 0x2B || (0x3C...0x3E).contains(v)
                    || v == 0x5E || v == 0x7E || v == 0x7C || v == 0x60
            case .defaultPunctuation:
                return PreTokenizer.isASCIIPunctuation(v) || v == 0x24 || v == 0x2B || (0x3C...0x3E).contains(v)
                    || v == 0x5E || v == 0x7E || v == 0x7C
            }
        }

        @inline(__always)
        func contains(_ v: UInt32) -> Bool {
            if v < 0x80 { return containsASCII(v) }
            switch self {
            case .letter: return UnicodeClass.flags(v) & UnicodeClass.letter != 0
            case .number: return UnicodeClass.flags(v) & UnicodeClass.number != 0
            case .punctuation: return UnicodeClass.flags(v) & UnicodeClass.punctuation != 0
            case .cjk: return (0x4E00...0x9FA5).contains(v) || (0x0800...0x4E00).contains(v) || (0xAC00...0xD7FF).contains(v)
            case .deepseekLetter: return PreTokenizer.inRanges(v, PreTokenizer.deepseekLetters)
            case .deepseekPunctuation: return PreTokenizer.inRanges(v, PreTokenizer.deepseekPunctuationRanges)
            case .falconPunctuation:
                return UnicodeClass.flags(v) & UnicodeClass.punctuation != 0 || "$+<=>^~|`".unicodeScalars.contains { $0.value == v }
            case .defaultPunctuation:
                return UnicodeClass.flags(v) & UnicodeClass.punctuation != 0 || "$+<=>^~|".unicodeScalars.contains { $0.value == v }
            }
        }
    }

    /// ASCII punctuation (Unicode P*): ! " # % & ' ( ) * , - . / : ; ? @ [ \\ ] _ { }
    @inline(__always)
    private static func isASCIIPunctuation(_ v: UInt32) -> Bool {
        (0x21...0x23).contains(v) || (0x25...0x2A).contains(v) || (0x2C...0x2F).contains(v) || v == 0x3A || v == 0x3B
            || v == 0x3F || v == 0x40 || (0x5B...0x5D).contains(v) || v == 0x5F || v == 0x7B || v == 0x7D
    }

    private enum Stage {
        case newline                // [\r\n]
        case spaceThen(CharSet)     // \s?[set]+
        case trailingSpace          // \s+$
        case run(CharSet)           // [set]+
        case single(CharSet)        // [set]
        case digitTriple            // [0-9][0-9][0-9]
        case gpt2                   // the GPT-2 regex

        /// The leftmost match in `[from, end)`, nil if none.
        func match(_ p: UnsafePointer<UInt8>, _ from: Int, _ end: Int) -> (Int, Int)? {
            var i = from
            switch self {
            case .newline:
                while i < end { if p[i] == 0x0D || p[i] == 0x0A { return (i, i + 1) }; i += 1 }
            case .spaceThen(let set):
                while i < end {
                    let s = UnicodeClass.scalar(p, i)
                    let next = i + s.length
                    if UnicodeClass.flags(s.value) & UnicodeClass.whitespace != 0, next < end,
                       set.contains(UnicodeClass.scalar(p, next).value) {
                        return (i, runEnd(set, p, next, end))
                    }
                    if set.contains(s.value) { return (i, runEnd(set, p, i, end)) }
                    i = next
                }
            case .trailingSpace:
                var j = end
                while j > from {
                    var k = j - 1
                    while p[k] & 0xC0 == 0x80 { k -= 1 }
                    if UnicodeClass.flags(UnicodeClass.scalar(p, k).value) & UnicodeClass.whitespace == 0 { break }
                    j = k
                }
                return j < end ? (j, end) : nil
            case .run(let set):
                while i < end {
                    let s = UnicodeClass.scalar(p, i)
                    if set.contains(s.value) { return (i, runEnd(set, p, i, end)) }
                    i += s.length
                }
            case .single(let set):
                while i < end {
                    let s = UnicodeClass.scalar(p, i)
                    if set.contains(s.value) { return (i, i + s.length) }
                    i += s.length
                }
            case .digitTriple:
                var digits = 0
                while i < end {
                    if p[i] >= 0x30 && p[i] <= 0x39 {
                        digits += 1
                        if digits == 3 { return (i - 2, i + 1) }
                    } else {
                        digits = 0
                    }
                    i += 1
                }
            case .gpt2:
                return nil  // handled by the scanner, which covers its whole input
            }
            return nil
        }

        private func runEnd(_ set: CharSet, _ p: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
            var j = i
            while j < end {
                let s = UnicodeClass.scalar(p, j)
                if !set.contains(s.value) { break }
                j += s.length
            }
            return j
        }
    }

    /// Cut points of a cascade, flat `[start, end, start, end, …]`.
    private final class Pieces {
        var current: [Int] = []
        var next: [Int] = []
    }

    /// Applies the stages breadth-first, as llama.cpp does: each stage cuts every piece of the previous one.
    private static func cascade(_ stages: [Stage], _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int,
                                _ emit: (Int, Int) -> Void) {
        let pieces = Pieces()
        pieces.current = [start, end]
        for stage in stages {
            pieces.next.removeAll(keepingCapacity: true)
            pieces.next.reserveCapacity(pieces.current.count * 2)
            var k = 0
            while k < pieces.current.count {
                let s = pieces.current[k], e = pieces.current[k + 1]
                k += 2
                if case .gpt2 = stage {
                    gpt2(p, s, e) { a, b in pieces.next.append(a); pieces.next.append(b) }
                    continue
                }
                var i = s
                while i < e, let (ms, me) = stage.match(p, i, e) {
                    if ms > i { pieces.next.append(i); pieces.next.append(ms) }
                    pieces.next.append(ms)
                    pieces.next.append(me)
                    i = me
                }
                if i < e { pieces.next.append(i); pieces.next.append(e) }
            }
            swap(&pieces.current, &pieces.next)
        }
        var k = 0
        while k < pieces.current.count { emit(pieces.current[k], pieces.current[k + 1]); k += 2 }
    }

    @inline(__always)
    private static func inRanges(_ v: UInt32, _ ranges: [ClosedRange<UInt32>]) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < v { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(v)
    }

    /// DeepSeek-LLM's letter class `[A-Za-zµÀ-ÖØ-ö…𞤀-𞥃]` (cased letters of the scripts it lists), sorted.
    private static let deepseekLetters: [ClosedRange<UInt32>] = [
        0x41...0x5A, 0x61...0x7A, 0xB5...0xB5, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x1BA, 0x1BC...0x1BF,
        0x1C4...0x293, 0x295...0x2AF, 0x370...0x373, 0x376...0x377, 0x37B...0x37D, 0x37F...0x37F,
        0x386...0x386, 0x388...0x38A, 0x38C...0x38C, 0x38E...0x3A1, 0x3A3...0x3F5, 0x3F7...0x481,
        0x48A...0x52F, 0x531...0x556, 0x10A0...0x10C5, 0x13A0...0x13F5, 0x13F8...0x13FD, 0x1C90...0x1CBA,
        0x1CBD...0x1CBF, 0x1D00...0x1D2B, 0x1D6B...0x1D77, 0x1D79...0x1D9A, 0x1E00...0x1F15, 0x1F18...0x1F1D,
        0x1F20...0x1F45, 0x1F48...0x1F4D, 0x1F50...0x1F57, 0x1F59...0x1F59, 0x1F5B...0x1F5B, 0x1F5D...0x1F5D,
        0x1F5F...0x1F7D, 0x1F80...0x1FB4, 0x1FB6...0x1FBC, 0x1FBE...0x1FBE, 0x1FC2...0x1FC4, 0x1FC6...0x1FCC,
        0x1FD0...0x1FD3, 0x1FD6...0x1FDB, 0x1FE0...0x1FEC, 0x1FF2...0x1FF4, 0x1FF6...0x1FFC, 0x2102...0x2102,
        0x2107...0x2107, 0x210A...0x2113, 0x2115...0x2115, 0x2119...0x211D, 0x2124...0x2124, 0x2126...0x2126,
        0x2128...0x2128, 0x212A...0x212D, 0x212F...0x2134, 0x2139...0x2139, 0x213C...0x213F, 0x2145...0x2149,
        0x214E...0x214E, 0x2183...0x2184, 0x2C00...0x2C7B, 0x2C7E...0x2CE4, 0x2CEB...0x2CEE, 0x2CF2...0x2CF3,
        0xA640...0xA66D, 0xA680...0xA69B, 0xA722...0xA76F, 0xA771...0xA787, 0xA78B...0xA78E, 0xAB70...0xABBF,
        0xFB00...0xFB06, 0xFB13...0xFB17, 0xFF21...0xFF3A, 0xFF41...0xFF5A, 0x10400...0x1044F,
        0x104B0...0x104D3, 0x104D8...0x104FB, 0x10C80...0x10CB2, 0x10CC0...0x10CF2, 0x118A0...0x118DF,
        0x1E900...0x1E943,
    ]

    /// DeepSeek-LLM's punctuation class `[!-/:-~！-／：-～‘-‟　-。]`, sorted.
    private static let deepseekPunctuationRanges: [ClosedRange<UInt32>] = [
        0x21...0x2F, 0x3A...0x7E, 0x2018...0x201F, 0x3000...0x3002, 0xFF01...0xFF0F, 0xFF1A...0xFF5E,
    ]
}
