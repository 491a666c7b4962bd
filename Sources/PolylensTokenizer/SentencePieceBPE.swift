import Foundation
import PolylensModel

/// SentencePiece's BPE (`model_type: BPE`): the tokenizer of Llama 2, CodeLlama, llama2.c and polycode.
///
/// Encoding follows sentencepiece's `bpe_model.cc` exactly: the normalized text (spaces as `▁`, a dummy
/// prefix `▁`) starts as one symbol per character (user-defined pieces as one frozen symbol); the adjacent pair
/// whose concatenation is a piece with the highest score is merged, ties going to the leftmost pair, until no
/// pair is a piece. A symbol that is not a piece becomes its UTF-8 bytes as `<0xNN>` pieces (byte fallback)
/// or the unknown piece. UNUSED pieces take part in merges and are then split back, as sentencepiece does.
///
/// Speed without changing the result: a merge can only create a piece, so two adjacent characters that never
/// occur next to each other inside any piece can never end up in one symbol, and the text is cut there into
/// independent chunks. Short chunks merge by a plain scan, long ones with a priority queue; pairs of known
/// pieces are found by id in a pair table, other lookups hash UTF-8 bytes without building Strings.
public final class SentencePieceBPE: Tokenizer, @unchecked Sendable {
    /// SentencePiece's `ModelProto.SentencePiece.Type`, also GGUF's `tokenizer.ggml.token_type`.
    public enum PieceType: Int, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    public struct Piece: Sendable, Equatable {
        public var text: String
        public var score: Float
        public var type: PieceType
        public init(_ text: String, score: Float, type: PieceType) { self.text = text; self.score = score; self.type = type }
    }

    /// SentencePiece's `NormalizerSpec` options that apply with the identity normalization.
    public struct Normalization: Sendable, Equatable {
        public var addDummyPrefix = true
        public var removeExtraWhitespaces = false
        public var escapeWhitespaces = true
        public init(addDummyPrefix: Bool = true, removeExtraWhitespaces: Bool = false, escapeWhitespaces: Bool = true) {
            self.addDummyPrefix = addDummyPrefix
            self.removeExtraWhitespaces = removeExtraWhitespaces
            self.escapeWhitespaces = escapeWhitespaces
        }
    }

    public let pieces: [Piece]
    public let normalization: Normalization
    public let byteFallback: Bool
    public let unkId: Int
    public let bosId: Int?
    public let eosId: Int?
    /// Control and unknown pieces, recognised in input text only with `parseSpecial`.
    public let specialTokens: SpecialTokens
    public var vocabSize: Int { pieces.count }

    /// Chunks of at most this many characters merge by a plain scan; longer ones use the priority queue.
    /// Both give the same ids (a test checks it); only the speed differs.
    var scanLimit = 24

    private let pieceBytes: [[UInt8]]
    private let scores: [Float]
    /// NORMAL, USER_DEFINED and UNUSED pieces: what merges may produce (sentencepiece's `pieces_`).
    private let mergeable: PieceTable
    /// The other pieces (sentencepiece's `reserved_id_map_`), looked up first for a final symbol.
    private let reserved: PieceTable
    private let pairs: PairTable
    /// Output id of a mergeable id: itself, a reserved id with the same text, or -2 for an unused piece.
    private let outputId: [Int32]
    private let asciiId: [Int32]
    private let spaceId: Int32
    private let byteIds: [Int32]
    private let userDefined: SpecialTokens
    /// Adjacent characters (packed UTF-8) that occur next to each other inside some mergeable piece.
    private let joinable: PairTable
    private let asciiJoinable: [Bool]
    private let hasUnused: Bool

    static let space: [UInt8] = [0xE2, 0x96, 0x81]  // "▁"

    /// `source` names the file in errors.
    public init(pieces: [Piece], normalization: Normalization, byteFallback: Bool,
                bosId: Int?, eosId: Int?, source: URL) throws {
        guard !pieces.isEmpty else { throw ModelFileError(source, "the vocabulary is empty") }
        guard pieces.count < Int(Int32.max) else { throw ModelFileError(source, "\(pieces.count) pieces") }
        guard let unk = pieces.firstIndex(where: { $0.type == .unknown }) else {
            throw ModelFileError(source, "the vocabulary has no unknown piece")
        }
        for (name, id) in [("BOS", bosId), ("EOS", eosId)] {
            if let id, !(0..<pieces.count).contains(id) {
                throw ModelFileError(source, "\(name) id \(id) is outside the vocabulary of \(pieces.count)")
            }
        }
        self.pieces = pieces
        self.normalization = normalization
        self.byteFallback = byteFallback
        self.unkId = unk
        self.bosId = bosId
        self.eosId = eosId
        let bytes = pieces.map { Array($0.text.utf8) }
        pieceBytes = bytes
        scores = pieces.map(\.score)

        let merge = PieceTable(capacity: pieces.count)
        let other = PieceTable(capacity: 64)
        var user = SpecialTokens()
        var specials = SpecialTokens()
        var bytePieces = [Int32](repeating: -1, count: 256)
        var unused = false
        for (i, p) in pieces.enumerated() {
            switch p.type {
            case .normal, .userDefined, .unused:
                merge.insert(bytes[i], value: Int32(i))
                if p.type == .userDefined { user.insert(p.text, id: i) }
                if p.type == .unused { unused = true }
            case .unknown, .control, .byte:
                other.insert(bytes[i], value: Int32(i))
                if p.type != .byte { specials.insert(p.text, id: i) }
                if p.type == .byte {
                    guard let b = Self.byteValue(p.text) else {
                        throw ModelFileError(source, "byte piece \(i) is \"\(p.text)\", not <0xNN>")
                    }
                    if bytePieces[Int(b)] < 0 { bytePieces[Int(b)] = Int32(i) }
                }
            }
        }
        mergeable = merge
        reserved = other
        userDefined = user
        specialTokens = specials
        byteIds = bytePieces
        hasUnused = unused

        var out = [Int32](repeating: -1, count: pieces.count)
        var ascii = [Int32](repeating: -1, count: 128)
        let pairTable = PairTable(capacity: pieces.count * 2)
        let join = PairTable(capacity: pieces.count * 2)
        var asciiJoin = [Bool](repeating: false, count: 129 * 129)
        for (i, p) in pieces.enumerated() where merge.lookup(bytes[i]) == Int32(i) {
            let r = other.lookup(bytes[i])
            out[i] = r >= 0 ? r : (p.type == .unused ? -2 : Int32(i))
            let b = bytes[i]
            if b.count == 1, b[0] < 0x80 { ascii[Int(b[0])] = Int32(i) }
            // Every split into two pieces at a character boundary is a merge that yields this piece.
            var cuts: [Int] = []
            var k = 0
            while k < b.count { cuts.append(k); k += Self.charLength(b[k]) }
            cuts.append(b.count)
            for c in cuts.dropFirst().dropLast() {
                let l = merge.lookup(Array(b[..<c])), rr = merge.lookup(Array(b[c...]))
                if l >= 0, rr >= 0 { pairTable.insert(l, rr, value: Int32(i)) }
            }
            for j in 1..<max(1, cuts.count - 1) {
                let a = Self.pack(b, cuts[j - 1], cuts[j]), c = Self.pack(b, cuts[j], cuts[j + 1])
                join.insert(Int32(bitPattern: a), Int32(bitPattern: c), value: 1)
                if let sa = Self.smallCode(a), let sc = Self.smallCode(c) { asciiJoin[sa * 129 + sc] = true }
            }
        }
        outputId = out
        asciiId = ascii
        spaceId = merge.lookup(Self.space)
        pairs = pairTable
        joinable = join
        asciiJoinable = asciiJoin
    }

    // MARK: Tokenizer

    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 2)
        if addBOS, let b = bosId { out.append(Int32(b)) }
        var scratch = Scratch()
        if parseSpecial && !specialTokens.isEmpty {
            // Like llama.cpp and Hugging Face's (legacy) Llama tokenizer: text after a special token is
            // encoded as a new sentence, with its own dummy prefix.
            for segment in specialTokens.split(text) {
                switch segment {
                case .special(let id): out.append(Int32(id))
                case .text(let s): encodeSentence(String(s), into: &out, &scratch)
                }
            }
        } else {
            encodeSentence(text, into: &out, &scratch)
        }
        return out.map { Int($0) }
    }

    public func decode(_ ids: [Int]) -> String {
        var text: [UInt8] = []
        var run: [UInt8] = []  // bytes of consecutive byte pieces, joined before UTF-8 decoding
        var isBosWs = true, bosWsSeen = false
        let stripLeading = normalization.addDummyPrefix || normalization.removeExtraWhitespaces
        for id in ids where id >= 0 && id < pieces.count {
            let p = pieces[id]
            if p.type == .byte, let b = Self.byteValue(p.text) {
                run.append(b)
                continue
            }
            Self.appendBytes(run, to: &text)
            run.removeAll(keepingCapacity: true)
            if bosWsSeen || !text.isEmpty { isBosWs = false }
            bosWsSeen = false
            switch p.type {
            case .control: continue
            case .unknown: text += Array(" \u{2047} ".utf8)
            default:
                var b = pieceBytes[id][...]
                if isBosWs && stripLeading && b.starts(with: Self.space) {
                    b = b.dropFirst(3)
                    bosWsSeen = !normalization.removeExtraWhitespaces
                }
                var i = b.startIndex
                while i < b.endIndex {
                    if b[i] == 0xE2, b[i...].starts(with: Self.space) {
                        text.append(0x20)
                        i += 3
                    } else {
                        text.append(b[i])
                        i += 1
                    }
                }
            }
        }
        Self.appendBytes(run, to: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// Byte-fallback bytes as text: each valid UTF-8 character as is, each byte of an invalid or cut-off one
    /// as U+FFFD (sentencepiece's rule, so a character split across calls shows as one U+FFFD per byte).
    static func appendBytes(_ run: [UInt8], to text: inout [UInt8]) {
        var i = 0
        while i < run.count {
            let n = charLength(run[i])
            if run[i] < 0x80 || (run[i] >= 0xC2 && run[i] <= 0xF4 && i + n <= run.count
                                  && String(validating: run[i..<(i + n)], as: UTF8.self) != nil) {
                text += run[i..<(i + n)]
                i += n
            } else {
                text += [0xEF, 0xBF, 0xBD]
                i += 1
            }
        }
    }

    public func piece(_ id: Int) -> String { (0..<pieces.count).contains(id) ? pieces[id].text : "" }

    // MARK: Encoding

    /// Reused buffers of one `encode` call.
    struct Scratch {
        var normalized: [UInt8] = []
        var start: [Int32] = []
        var length: [Int32] = []
        var id: [Int32] = []
        var pairId: [Int32] = []
        var prev: [Int32] = []
        var next: [Int32] = []
        var heap: [Candidate] = []
        /// Split points of UNUSED pieces met during merging (sentencepiece's `rev_merge`), by piece id.
        var split: [Int32: Int32] = [:]
        var pending: [(start: Int32, length: Int32, id: Int32)] = []
    }

    struct Candidate {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32
        var id: Int32
        /// sentencepiece's agenda order: higher score first, then the leftmost pair.
        @inline(__always) func before(_ o: Candidate) -> Bool {
            score > o.score || (score == o.score && left < o.left)
        }
    }

    /// One sentence: normalize, then merge and emit.
    private func encodeSentence(_ text: String, into out: inout [Int32], _ s: inout Scratch) {
        normalize(text, into: &s.normalized)
        if s.normalized.isEmpty { return }
        let buf = s.normalized
        s.split.removeAll(keepingCapacity: true)
        s.pending.removeAll(keepingCapacity: true)
        buf.withUnsafeBufferPointer { b in
            mergeAndEmit(b, into: &out, &s)
            if hasUnused { for p in s.pending { emit(b, p.start, p.length, p.id, into: &out, s.split) } }
        }
    }

    /// SentencePiece's identity normalizer: optional whitespace clean-up, dummy prefix, spaces as `▁`.
    private func normalize(_ text: String, into n: inout [UInt8]) {
        n.removeAll(keepingCapacity: true)
        let spaceBytes: [UInt8] = normalization.escapeWhitespaces ? Self.space : [0x20]
        var utf8 = text.utf8[...]
        if normalization.removeExtraWhitespaces {
            while utf8.first == 0x20 { utf8 = utf8.dropFirst() }
        }
        if utf8.isEmpty { return }
        n.reserveCapacity(utf8.count + utf8.count / 4 + 3)
        if normalization.addDummyPrefix { n += spaceBytes }
        var prevSpace = normalization.removeExtraWhitespaces
        for c in utf8 {
            if c == 0x20 {
                if prevSpace { continue }
                n += spaceBytes
                prevSpace = normalization.removeExtraWhitespaces
            } else {
                n.append(c)
                prevSpace = false
            }
        }
        if normalization.removeExtraWhitespaces {
            while n.count >= spaceBytes.count, n.suffix(spaceBytes.count).elementsEqual(spaceBytes) {
                n.removeLast(spaceBytes.count)
            }
        }
    }

    private func mergeAndEmit(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Int32], _ s: inout Scratch) {
        s.start.removeAll(keepingCapacity: true)
        s.length.removeAll(keepingCapacity: true)
        s.id.removeAll(keepingCapacity: true)
        var prevCode: UInt32 = 0
        var i = 0
        let n = b.count
        let hasUser = !userDefined.isEmpty
        while i < n {
            if hasUser, let m = userDefined.longestMatch(b, at: i) {
                flush(b, into: &out, &s)
                finish(b, Int32(i), Int32(m.length), Int32(m.id), into: &out, &s)
                i += m.length
                prevCode = 0
                continue
            }
            let c = b[i]
            let len = c < 0x80 ? 1 : min(Self.charLength(c), n - i)
            let code: UInt32
            let id: Int32
            if len == 1 {
                code = UInt32(c)
                id = c < 0x80 ? asciiId[Int(c)] : mergeable.lookup(b.baseAddress! + i, 1)
            } else {
                code = Self.pack(b, i, i + len)
                id = code == 0x81_96E2 ? spaceId : mergeable.lookup(b.baseAddress! + i, len)
            }
            if !s.start.isEmpty && (hasUnused ? false : !isJoinable(prevCode, code)) { flush(b, into: &out, &s) }
            s.start.append(Int32(i))
            s.length.append(Int32(len))
            s.id.append(id)
            prevCode = code
            i += len
        }
        flush(b, into: &out, &s)
    }

    @inline(__always)
    private func isJoinable(_ a: UInt32, _ c: UInt32) -> Bool {
        if let sa = Self.smallCode(a), let sc = Self.smallCode(c) { return asciiJoinable[sa * 129 + sc] }
        return joinable.lookup(Int32(bitPattern: a), Int32(bitPattern: c)) >= 0
    }

    /// The piece two adjacent symbols merge into, or -1.
    @inline(__always)
    private func merged(_ b: UnsafeBufferPointer<UInt8>, _ leftId: Int32, _ rightId: Int32, _ start: Int32, _ size: Int32) -> Int32 {
        if leftId >= 0 && rightId >= 0 { return pairs.lookup(leftId, rightId) }
        return mergeable.lookup(b.baseAddress! + Int(start), Int(size))
    }

    /// Merges the symbols collected in `s` (one chunk) and emits them.
    private func flush(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Int32], _ s: inout Scratch) {
        let k = s.start.count
        if k == 0 { return }
        if k == 1 {
            finish(b, s.start[0], s.length[0], s.id[0], into: &out, &s)
        } else if k <= scanLimit && !hasUnused {
            scanMerge(b, into: &out, &s)
        } else {
            heapMerge(b, into: &out, &s)
        }
        s.start.removeAll(keepingCapacity: true)
        s.length.removeAll(keepingCapacity: true)
        s.id.removeAll(keepingCapacity: true)
    }

    /// For short chunks: repeatedly merge the best adjacent pair, found by a scan.
    private func scanMerge(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Int32], _ s: inout Scratch) {
        var k = s.start.count
        s.pairId.removeAll(keepingCapacity: true)
        for j in 0..<(k - 1) {
            s.pairId.append(merged(b, s.id[j], s.id[j + 1], s.start[j], s.length[j] + s.length[j + 1]))
        }
        while true {
            var best = -1
            var bestScore = -Float.infinity
            for j in 0..<(k - 1) {
                let m = s.pairId[j]
                if m >= 0 && (best < 0 || scores[Int(m)] > bestScore) { best = j; bestScore = scores[Int(m)] }
            }
            if best < 0 { break }
            s.id[best] = s.pairId[best]
            s.length[best] += s.length[best + 1]
            s.start.remove(at: best + 1)
            s.length.remove(at: best + 1)
            s.id.remove(at: best + 1)
            s.pairId.remove(at: best)
            k -= 1
            if best > 0 {
                s.pairId[best - 1] = merged(b, s.id[best - 1], s.id[best], s.start[best - 1], s.length[best - 1] + s.length[best])
            }
            if best < k - 1 {
                s.pairId[best] = merged(b, s.id[best], s.id[best + 1], s.start[best], s.length[best] + s.length[best + 1])
            }
        }
        for j in 0..<k { finish(b, s.start[j], s.length[j], s.id[j], into: &out, &s) }
    }

    /// sentencepiece's agenda: a priority queue of candidate pairs over a linked list of symbols.
    private func heapMerge(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Int32], _ s: inout Scratch) {
        let k = s.start.count
        s.prev = (0..<k).map { Int32($0) - 1 }
        s.next = (0..<k).map { $0 + 1 < k ? Int32($0 + 1) : -1 }
        s.heap.removeAll(keepingCapacity: true)

        func push(_ l: Int32, _ r: Int32, _ s: inout Scratch) {
            if l < 0 || r < 0 { return }
            let size = s.length[Int(l)] + s.length[Int(r)]
            let m = merged(b, s.id[Int(l)], s.id[Int(r)], s.start[Int(l)], size)
            if m < 0 { return }
            if hasUnused && outputId[Int(m)] == -2 { s.split[m] = s.length[Int(l)] }
            let c = Candidate(score: scores[Int(m)], left: l, right: r, size: size, id: m)
            // sift up
            var i = s.heap.count
            s.heap.append(c)
            while i > 0 {
                let p = (i - 1) / 2
                if !c.before(s.heap[p]) { break }
                s.heap[i] = s.heap[p]
                i = p
            }
            s.heap[i] = c
        }
        func pop(_ s: inout Scratch) -> Candidate {
            let top = s.heap[0]
            let last = s.heap.removeLast()
            let n = s.heap.count
            if n > 0 {
                var i = 0
                while true {
                    let l = 2 * i + 1
                    if l >= n { break }
                    var c = l
                    if l + 1 < n && s.heap[l + 1].before(s.heap[l]) { c = l + 1 }
                    if !s.heap[c].before(last) { break }
                    s.heap[i] = s.heap[c]
                    i = c
                }
                s.heap[i] = last
            }
            return top
        }

        for j in 1..<k { push(Int32(j - 1), Int32(j), &s) }
        while !s.heap.isEmpty {
            let top = pop(&s)
            let l = Int(top.left), r = Int(top.right)
            // Stale: one side was merged away or grew since this pair was queued.
            if s.length[l] == 0 || s.length[r] == 0 || s.length[l] + s.length[r] != top.size { continue }
            s.length[l] += s.length[r]
            s.id[l] = top.id
            s.length[r] = 0
            s.next[l] = s.next[r]
            if s.next[r] >= 0 { s.prev[Int(s.next[r])] = Int32(l) }
            push(s.prev[l], Int32(l), &s)
            push(Int32(l), s.next[l], &s)
        }
        var j: Int32 = 0
        while j >= 0 {
            finish(b, s.start[Int(j)], s.length[Int(j)], s.id[Int(j)], into: &out, &s)
            j = s.next[Int(j)]
        }
    }

    /// Emits one final symbol, or defers it until every split of UNUSED pieces is known.
    @inline(__always)
    private func finish(_ b: UnsafeBufferPointer<UInt8>, _ start: Int32, _ length: Int32, _ id: Int32,
                        into out: inout [Int32], _ s: inout Scratch) {
        if hasUnused {
            s.pending.append((start, length, id))
        } else if id >= 0 && outputId[Int(id)] >= 0 {
            out.append(outputId[Int(id)])
        } else {
            emit(b, start, length, id, into: &out, s.split)
        }
    }

    /// A final symbol's ids: its piece (reserved pieces first, as `PieceToId`), UNUSED pieces split back,
    /// otherwise byte fallback or the unknown piece.
    private func emit(_ b: UnsafeBufferPointer<UInt8>, _ start: Int32, _ length: Int32, _ knownId: Int32,
                      into out: inout [Int32], _ split: [Int32: Int32]) {
        let p = b.baseAddress! + Int(start)
        let id = knownId >= 0 ? outputId[Int(knownId)] : reserved.lookup(p, Int(length))
        if id == -2 {
            if let left = split[knownId] {
                emit(b, start, left, mergeable.lookup(p, Int(left)), into: &out, split)
                emit(b, start + left, length - left, mergeable.lookup(p + Int(left), Int(length - left)), into: &out, split)
            } else {
                out.append(knownId)
            }
            return
        }
        if id >= 0 { out.append(id); return }
        if byteFallback {
            for i in 0..<Int(length) {
                let bid = byteIds[Int(p[i])]
                out.append(bid >= 0 ? bid : Int32(unkId))
            }
        } else {
            out.append(Int32(unkId))
        }
    }

    // MARK: Helpers

    /// Length of the UTF-8 sequence a lead byte starts (1 for stray continuation bytes).
    @inline(__always)
    static func charLength(_ c: UInt8) -> Int {
        if c < 0xC0 { return 1 }
        if c < 0xE0 { return 2 }
        if c < 0xF0 { return 3 }
        return 4
    }

    /// A character's UTF-8 bytes packed little-endian into 32 bits.
    @inline(__always)
    static func pack<C: RandomAccessCollection>(_ b: C, _ from: Int, _ to: Int) -> UInt32 where C.Element == UInt8, C.Index == Int {
        var v: UInt32 = 0
        for i in from..<to { v |= UInt32(b[i]) << (8 * UInt32(i - from)) }
        return v
    }

    /// ASCII characters and `▁` index a small matrix instead of the hash table.
    @inline(__always)
    static func smallCode(_ packed: UInt32) -> Int? {
        if packed < 0x80 { return Int(packed) }
        return packed == 0x81_96E2 ? 128 : nil
    }

    /// The byte of a `<0xNN>` piece.
    static func byteValue(_ text: String) -> UInt8? {
        let u = Array(text.utf8)
        guard u.count == 6, u[0] == 0x3C, u[1] == 0x30, u[2] == 0x78, u[5] == 0x3E else { return nil }
        return UInt8(String(decoding: u[3...4], as: UTF8.self), radix: 16)
    }
}
