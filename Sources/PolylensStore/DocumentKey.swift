/// What makes a document unique within a run: the same text may be a document of several languages
/// (parallel snippets are often identical across C, C++ and Java) and of several parallel items.
public struct DocumentKey: Hashable, Sendable {
    public var language: String
    public var sha256: String
    public var itemKey: String?
    public init(language: String, sha256: String, itemKey: String?) {
        self.language = language; self.sha256 = sha256; self.itemKey = itemKey
    }
    public init(_ d: DocumentInfo) { self.init(language: d.language, sha256: d.sha256, itemKey: d.itemKey) }
}

/// What makes a lens prompt unique within a run.
public struct LensPromptKey: Hashable, Sendable {
    public var source: String
    public var target: String
    public var itemKey: String
    public init(source: String, target: String, itemKey: String) {
        self.source = source; self.target = target; self.itemKey = itemKey
    }
    public init(_ p: LensPrompt) { self.init(source: p.source, target: p.target, itemKey: p.itemKey) }
}
