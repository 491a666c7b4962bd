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
    /// Off in the test that compares the two merge paths (a cached chunk would skip both).
    var usesChunkCache = true

    private let pieceBytes: [[UInt8]]
    private let scores: [Float]
    /// NORMAL, USER_DEFINED and UNUSED pieces: what merges may produce (sentencepiece's `pieces_`).
    private let mergeable: ByteStringTable
    /// The other pieces (sentencepiece's `reserved_id_map_`), looked up first for a final symbol.
    private let reserved: ByteStringTable
    private let pairs: PairTable
    /// Output id of a mergeable id: itself, a reserved id with the same text, or -2 for an unused piece.
    private let outputId: [Int32]
    /// The piece of each ASCII byte (-1 for none and for bytes ≥ 0x80).
    private let asciiId: ByteIndexed<Int32>
    private let spaceId: Int32
    private let byteIds: ByteIndexed<Int32>
    private let userDefined: SpecialTokens
    /// Adjacent characters (packed UTF-8) that occur next to each other inside some mergeable piece.
    private let joinable: PairTable
    /// `joinable` for ASCII characters and `▁` (`smallCode`), as a 129 × 129 matrix.
    private let asciiJoinable: [Bool]
    private let hasUnused: Bool
    private let scratches = ScratchPool { Scratch() }

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

        var merge = ByteStringTable(capacity: pieces.count)
        var other = ByteStringTable(capacity: 64)
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
        byteIds = ByteIndexed { bytePieces[Int($0)] }
        hasUnused = unused

        var out = [Int32](repeating: -1, count: pieces.count)
        var ascii = [Int32](repeating: -1, count: 128)
        let pairTable = PairTable(capacity: pieces.count * 2)
        let join = PairTable(capacity: pieces.count * 2)
        var asciiJoin = [Bool](repeating: false, count: 129 * 129)
        for (i, p) in pieces.enumerated() where merge.find(bytes[i]) == Int32(i) {
            let r = other.find(bytes[i]) ?? -1
            out[i] = r >= 0 ? r : (p.type == .unused ? -2 : Int32(i))
            let b = bytes[i]
            if b.count == 1, b[0] < 0x80 { ascii[Int(b[0])] = Int32(i) }
            // Every split into two pieces at a character boundary is a merge that yields this piece.
            var cuts: [Int] = []
            var k = 0
            while k < b.count { cuts.append(k); k += Self.charLength(b[k]) }
            cuts.append(b.count)
            b.withUnsafeBufferPointer { p in
                merge.forEachSplit(p.baseAddress!, p.count, isCut: { p[$0] & 0xC0 != 0x80 }) { _, l, r in
                    pairTable.insert(l, r, value: Int32(i))
                }
            }
            for j in 1..<max(1, cuts.count - 1) {
                let a = Self.pack(b, cuts[j - 1], cuts[j]), c = Self.pack(b, cuts[j], cuts[j + 1])
                join.insert(Int32(bitPattern: a), Int32(bitPattern: c), value: 1)
                if let sa = Self.smallCode(a), let sc = Self.smallCode(c) { asciiJoin[sa * 129 + sc] = true }
            }
        }
        outputId = out
        asciiId = ByteIndexed { $0 < 0x80 ? ascii[Int($0)] : -1 }
        spaceId = merge.find(Self.space) ?? -1
        pairs = pairTable
        joinable = join
        asciiJoinable = asciiJoin
    }

    // MARK: Tokenizer

    public func encode(_ text: String, addBOS: Bool, parseSpecial: Bool) -> [Int] {
        var out: [Int32] = []
        out.reserveCapacity(text.utf8.count / 3 + 2)
        if addBOS, let b = bosId { out.append(Int32(b)) }
        var scratch = scratches.take()
        defer { scratches.give(scratch) }
        scratch.scanLimit = scanLimit
        scratch.usesMemo = usesChunkCache && !hasUnused
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

    /// State of one `encode` call (one per concurrent caller, from a `ScratchPool`), held in a local variable
    /// and passed down `inout`.
    struct Scratch {
        let symbols = SymbolBuffers()
        var normalized: [UInt8] = []
        var heap: [Candidate] = []
        /// Split points of UNUSED pieces met during merging (sentencepiece's `rev_merge`), by piece id.
        var split: [Int32: Int32] = [:]
        var pending: [(start: Int32, length: Int32, id: Int32)] = []
        /// Chunks already merged: a chunk's ids depend on its bytes alone, and source code repeats chunks.
        var memo = TokenMemo()
        /// The tokenizer's settings, read once per call.
        var scanLimit = 0
        var usesMemo = false
    }

    /// Symbols of the current sentence as raw arrays: the hot loops index them without copy-on-write checks.
    final class SymbolBuffers {
        private(set) var capacity = 0
        private var storage: UnsafeMutablePointer<Int32>?
        private var scoreStorage: UnsafeMutablePointer<Float>?
        var start: UnsafeMutablePointer<Int32> { storage! }
        var length: UnsafeMutablePointer<Int32> { storage! + capacity }
        var id: UnsafeMutablePointer<Int32> { storage! + 2 * capacity }
        var pairId: UnsafeMutablePointer<Int32> { storage! + 3 * capacity }
        var prev: UnsafeMutablePointer<Int32> { storage! + 4 * capacity }
        var next: UnsafeMutablePointer<Int32> { storage! + 5 * capacity }
        var pairScore: UnsafeMutablePointer<Float> { scoreStorage! }

        func reserve(_ n: Int) {
            if n <= capacity { return }
            storage?.deallocate()
            scoreStorage?.deallocate()
            capacity = max(n, 256)
            storage = .allocate(capacity: 6 * capacity)
            scoreStorage = .allocate(capacity: capacity)
        }

        deinit {
            storage?.deallocate()
            scoreStorage?.deallocate()
        }
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
        // Symbols hold byte offsets as Int32: checked once here, so the per-character conversions need not be.
        precondition(s.normalized.count < Int(Int32.max), "SentencePieceBPE: a sentence of 2 GiB or more")
        s.symbols.reserve(s.normalized.count)
        s.split.removeAll(keepingCapacity: true)
        s.pending.removeAll(keepingCapacity: true)
        let buf = s.normalized
        buf.withUnsafeBufferPointer { b in
            mergeAndEmit(b, into: &out, &s)
            if hasUnused { for p in s.pending { emit(b, p.start, p.length, p.id, into: &out, s.split) } }
        }
    }

    /// SentencePiece's identity normalizer: optional whitespace clean-up, dummy prefix, spaces as `▁`.
    private func normalize(_ text: String, into n: inout [UInt8]) {
        var text = text
        let escape = normalization.escapeWhitespaces, removeExtra = normalization.removeExtraWhitespaces
        let dummy = normalization.addDummyPrefix
        n = text.withUTF8 { src -> [UInt8] in
            var from = 0
            if removeExtra { while from < src.count && src[from] == 0x20 { from += 1 } }
            if from == src.count { return [] }
            return [UInt8](unsafeUninitializedCapacity: 3 * (src.count - from + 1)) { dst, count in
                // o < 3 × (bytes read + 1) ≤ dst.count: the wrapping adds cannot overflow.
                var o = 0
                @inline(__always) func space() {
                    if escape {
                        dst[o] = 0xE2; dst[o &+ 1] = 0x96; dst[o &+ 2] = 0x81; o &+= 3
                    } else {
                        dst[o] = 0x20; o &+= 1
                    }
                }
                if dummy { space() }
                var prevSpace = removeExtra
                for i in from..<src.count {
                    let c = src[i]
                    if c == 0x20 {
                        if prevSpace { continue }
                        space()
                        prevSpace = removeExtra
                    } else {
                        dst[o] = c
                        o &+= 1
                        prevSpace = false
                    }
                }
                if removeExtra {
                    let w = escape ? 3 : 1
                    while o >= w && dst[o - 1] == (escape ? 0x81 : 0x20) && (!escape || (dst[o - 2] == 0x96 && dst[o - 3] == 0xE2)) {
                        o -= w
                    }
                }
                count = o
            }
        }
    }

    /// Splits the sentence into symbols and chunks; each finished chunk is merged and emitted.
    private func mergeAndEmit(_ b: UnsafeBufferPointer<UInt8>, into out: inout [Int32], _ s: inout Scratch) {
        let st = s.symbols.start, ln = s.symbols.length, ids = s.symbols.id
        var prevCode: UInt32 = 0
        var count = 0, chunk = 0
        var i = 0
        let n = b.count
        let hasUser = !userDefined.isEmpty
        while i < n {
            if hasUser, let m = userDefined.longestMatch(b, at: i) {
                flush(b, chunk, count, into: &out, &s)
                finish(b, Int32(i), Int32(m.length), Int32(m.id), into: &out, &s)
                chunk = count
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
                id = c < 0x80 ? asciiId[c] : mergeable.find(b.baseAddress! + i, 1) ?? -1
            } else {
                code = Self.pack(b, i, i + len)
                id = code == 0x81_96E2 ? spaceId : mergeable.find(b.baseAddress! + i, len) ?? -1
            }
            if count > chunk && !hasUnused && !isJoinable(prevCode, code) {
                flush(b, chunk, count, into: &out, &s)
                chunk = count
            }
            st[count] = Int32(truncatingIfNeeded: i)
            ln[count] = Int32(truncatingIfNeeded: len)
            ids[count] = id
            count &+= 1  // count ≤ i < n: no overflow (here and below)
            prevCode = code
            i &+= len
        }
        flush(b, chunk, count, into: &out, &s)
    }

    @inline(__always)
    private func isJoinable(_ a: UInt32, _ c: UInt32) -> Bool {
        if let sa = Self.smallCode(a), let sc = Self.smallCode(c) {
            // smallCode is 0...128, so the index is within the 129 × 129 matrix.
            return asciiJoinable.withUnsafeBufferPointer { $0[sa &* 129 &+ sc] }
        }
        return joinable.lookup(Int32(bitPattern: a), Int32(bitPattern: c)) >= 0
    }

    /// The piece two adjacent symbols merge into, or -1.
    @inline(__always)
    private func merged(_ b: UnsafeBufferPointer<UInt8>, _ leftId: Int32, _ rightId: Int32, _ start: Int32, _ size: Int32) -> Int32 {
        if leftId >= 0 && rightId >= 0 { return pairs.lookup(leftId, rightId) }
        return mergeable.find(b.baseAddress! + Int(start), Int(size)) ?? -1
    }

    /// Merges and emits the symbols `from..<to` (one chunk), through the memo of chunks.
    private func flush(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int, into out: inout [Int32], _ s: inout Scratch) {
        let k = to - from
        if k <= 0 { return }
        let st = s.symbols.start, ln = s.symbols.length
        if k == 1 {
            finish(b, st[from], ln[from], s.symbols.id[from], into: &out, &s)
            return
        }
        let keyStart = Int(st[from])
        let keyLength = Int(st[to - 1] + ln[to - 1]) - keyStart
        let key = b.baseAddress! + keyStart
        if s.usesMemo && s.memo.append(key, keyLength, to: &out) { return }
        let outStart = out.count
        if k <= s.scanLimit && !hasUnused {
            scanMerge(b, from, k, into: &out, &s)
        } else {
            heapMerge(b, from, k, into: &out, &s)
        }
        if s.usesMemo { s.memo.remember(key, keyLength, ids: out[outStart...]) }
    }

    /// For short chunks: repeatedly merge the best adjacent pair, found by a scan, removing merged symbols.
    private func scanMerge(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ k: Int, into out: inout [Int32], _ s: inout Scratch) {
        let st = s.symbols.start + from, ln = s.symbols.length + from, ids = s.symbols.id + from
        let pid = s.symbols.pairId, psc = s.symbols.pairScore
        @inline(__always) func pair(_ j: Int) {
            let m = merged(b, ids[j], ids[j + 1], st[j], ln[j] + ln[j + 1])
            pid[j] = m
            psc[j] = m >= 0 ? scores[Int(m)] : 0
        }
        var n = k
        for j in 0..<(n - 1) { pair(j) }
        while n > 1 {
            var best = -1
            var bestScore: Float = 0
            for j in 0..<(n - 1) where pid[j] >= 0 && (best < 0 || psc[j] > bestScore) {
                best = j
                bestScore = psc[j]
            }
            if best < 0 { break }
            ids[best] = pid[best]
            ln[best] += ln[best + 1]
            var j = best + 1
            while j < n - 1 { st[j] = st[j + 1]; ln[j] = ln[j + 1]; ids[j] = ids[j + 1]; j += 1 }
            j = best
            while j < n - 2 { pid[j] = pid[j + 1]; psc[j] = psc[j + 1]; j += 1 }
            n -= 1
            if best > 0 { pair(best - 1) }
            if best < n - 1 { pair(best) }
        }
        for j in 0..<n { finish(b, st[j], ln[j], ids[j], into: &out, &s) }
    }

    /// sentencepiece's agenda: a priority queue of candidate pairs over a linked list of symbols.
    private func heapMerge(_ b: UnsafeBufferPointer<UInt8>, _ from: Int, _ k: Int, into out: inout [Int32], _ s: inout Scratch) {
        let st = s.symbols.start + from, ln = s.symbols.length + from, ids = s.symbols.id + from
        let prev = s.symbols.prev, next = s.symbols.next
        for j in 0..<k {
            prev[j] = Int32(j) - 1
            next[j] = j + 1 < k ? Int32(j + 1) : -1
        }
        var heap: [Candidate] = []
        swap(&heap, &s.heap)  // the scratch's buffer, held uniquely here
        heap.removeAll(keepingCapacity: true)

        func push(_ l: Int32, _ r: Int32) {
            if l < 0 || r < 0 { return }
            let size = ln[Int(l)] + ln[Int(r)]
            let m = merged(b, ids[Int(l)], ids[Int(r)], st[Int(l)], size)
            if m < 0 { return }
            if hasUnused && outputId[Int(m)] == -2 { s.split[m] = ln[Int(l)] }
            let c = Candidate(score: scores[Int(m)], left: l, right: r, size: size, id: m)
            var i = heap.count
            heap.append(c)
            while i > 0 {
                let p = (i - 1) / 2
                if !c.before(heap[p]) { break }
                heap[i] = heap[p]
                i = p
            }
            heap[i] = c
        }
        func pop() -> Candidate {
            let top = heap[0]
            let last = heap.removeLast()
            let n = heap.count
            if n > 0 {
                var i = 0
                while true {
                    let l = 2 * i + 1
                    if l >= n { break }
                    var c = l
                    if l + 1 < n && heap[l + 1].before(heap[l]) { c = l + 1 }
                    if !heap[c].before(last) { break }
                    heap[i] = heap[c]
                    i = c
                }
                heap[i] = last
            }
            return top
        }

        for j in 1..<k { push(Int32(j - 1), Int32(j)) }
        while !heap.isEmpty {
            let top = pop()
            let l = Int(top.left), r = Int(top.right)
            // Stale: one side was merged away or grew since this pair was queued.
            if ln[l] == 0 || ln[r] == 0 || ln[l] + ln[r] != top.size { continue }
            ln[l] += ln[r]
            ids[l] = top.id
            ln[r] = 0
            next[l] = next[r]
            if next[r] >= 0 { prev[Int(next[r])] = Int32(l) }
            push(prev[l], Int32(l))
            push(Int32(l), next[l])
        }
        s.heap = heap
        var j: Int32 = 0
        while j >= 0 {
            finish(b, st[Int(j)], ln[Int(j)], ids[Int(j)], into: &out, &s)
            j = next[Int(j)]
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
        let id = knownId >= 0 ? outputId[Int(knownId)] : reserved.find(p, Int(length)) ?? -1
        if id == -2 {
            if let left = split[knownId] {
                emit(b, start, left, mergeable.find(p, Int(left)) ?? -1, into: &out, split)
                emit(b, start + left, length - left, mergeable.find(p + Int(left), Int(length - left)) ?? -1, into: &out, split)
            } else {
                out.append(knownId)
            }
            return
        }
        if id >= 0 { out.append(id); return }
        if byteFallback {
            for i in 0..<Int(length) {
                let bid = byteIds[p[i]]
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
        for i in from..<to { v |= UInt32(b[i]) << (UInt32(truncatingIfNeeded: i &- from) &* 8) }  // at most 4 bytes
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
