/// One top-activating context of a neuron: where a fired, how strongly, and the tokens around it, so a
/// reader needs no corpus to show it.
public struct NeuronContext: Sendable, Equatable {
    public var value: Float
    /// `documents.id` in a file; the index of the document in its batch while ingest collects.
    public var document: Int64
    /// 0-based position in the document, BOS = 0.
    public var position: Int32
    /// Token ids from position − before to position + after; −1 outside the document.
    public var tokens: [Int32]

    public init(value: Float, document: Int64, position: Int32, tokens: [Int32]) {
        self.value = value; self.document = document; self.position = position; self.tokens = tokens
    }
}

/// How many contexts are kept and how wide their windows are.
public struct ContextShape: Sendable, Equatable, Codable {
    /// Contexts per neuron over all languages.
    public var k: Int
    /// Contexts per neuron and language.
    public var perLanguage: Int
    public var before: Int
    public var after: Int

    public init(k: Int = 16, perLanguage: Int = 3, before: Int = 8, after: Int = 4) {
        self.k = k; self.perLanguage = perLanguage; self.before = before; self.after = after
    }

    public var window: Int { before + 1 + after }
    /// What an ingest collects per language and batch: enough for both lists to be exact.
    public var collected: Int { Swift.max(k, perLanguage) }
}

/// The top contexts of every neuron of one (scope, layer), best first. Scope `*` is all languages.
public struct NeuronContextTable: Sendable, Equatable {
    public static let allLanguages = "*"

    public var scope: String
    public var layer: Int
    public var k: Int
    public var before: Int
    public var after: Int
    /// Per neuron, at most k contexts in `ContextOrder`.
    public var contexts: [[NeuronContext]]

    public init(scope: String, layer: Int, k: Int, before: Int, after: Int, contexts: [[NeuronContext]]) {
        self.scope = scope; self.layer = layer; self.k = k; self.before = before; self.after = after
        self.contexts = contexts
    }

    public var neurons: Int { contexts.count }
}

/// The stated order of contexts, which makes top-k exact and mergeable: value descending, then the
/// document's sha256, language and item key ascending, then position ascending. It depends only on
/// content, never on document ids, so one pass, a resumed ingest and merged shards keep the same k.
public struct ContextOrder {
    public let keys: [Int64: DocumentKey]

    public init(keys: [Int64: DocumentKey]) { self.keys = keys }

    public func precedes(_ a: NeuronContext, _ b: NeuronContext) -> Bool {
        if a.value != b.value { return a.value > b.value }
        let ka = keys[a.document], kb = keys[b.document]
        if let ka, let kb, ka != kb {
            if ka.sha256 != kb.sha256 { return ka.sha256 < kb.sha256 }
            if ka.language != kb.language { return ka.language < kb.language }
            return (ka.itemKey ?? "") < (kb.itemKey ?? "")
        }
        if a.document != b.document { return a.document < b.document }
        return a.position < b.position
    }

    /// The best `k` of two lists, each already in order (duplicates of one (document, position) kept once).
    public func merge(_ a: [NeuronContext], _ b: [NeuronContext], k: Int) -> [NeuronContext] {
        var out: [NeuronContext] = []
        out.reserveCapacity(min(k, a.count + b.count))
        var i = 0, j = 0
        while out.count < k, i < a.count || j < b.count {
            let next: NeuronContext
            if j >= b.count || (i < a.count && !precedes(b[j], a[i])) { next = a[i]; i += 1 } else { next = b[j]; j += 1 }
            if let last = out.last, last.document == next.document, last.position == next.position { continue }
            out.append(next)
        }
        return out
    }
}
