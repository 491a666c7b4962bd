import PolylensEngine

/// The logit lens of one few-shot prompt as the file stores it (`lens_results`): at every layer and every
/// position that predicts the target snippet, the top-k tokens, the correct next token's probability and
/// rank, the entropy and each token set's mass. Rows are layer-major: row = layer × positions + position.
/// The prompt's fields (source, target, itemKey, tokens, firstPosition, layers, positions) read through.
@dynamicMemberLookup
public struct LensPromptResult: Sendable {
    /// The prompt, without its states.
    public private(set) var prompt: LensPrompt
    public var columns: LensColumns

    public init(prompt: LensPrompt, columns: LensColumns) {
        self.prompt = prompt; self.prompt.states = []; self.columns = columns
    }

    public init(source: String, target: String, itemKey: String, tokens: [Int32], firstPosition: Int, layers: Int,
                columns: LensColumns) {
        self.init(prompt: LensPrompt(source: source, target: target, itemKey: itemKey, tokens: tokens, firstPosition: firstPosition,
                                     layers: layers, dim: 0, states: []), columns: columns)
    }

    public subscript<T>(dynamicMember field: KeyPath<LensPrompt, T>) -> T { prompt[keyPath: field] }

    /// The correct next token of each position.
    public var next: [Int32] { prompt.positions > 0 ? Array(prompt.tokens[(prompt.firstPosition + 1)...]) : [] }

    public func row(layer: Int, position: Int) -> Int { layer * prompt.positions + position }

    /// The top-k ids of one row, best first.
    public func top(_ row: Int) -> ArraySlice<Int32> { columns.topIds[(row * columns.topK)..<((row + 1) * columns.topK)] }

    /// Bytes a file spends on lens results (raw column bytes plus per-blob headers and CRCs, before LZ4, which
    /// gains little on probabilities): what `polylens estimate` adds for the lens.
    public static func estimatedBytes(prompts: Int, positionsPerPrompt: Int, layers: Int, top: Int, sets: Int) -> Int {
        let rows = positionsPerPrompt * layers
        let columns = rows * top * (4 + 4) + rows * (4 + 4 + 4) + rows * sets * 4
        let blobOverhead = 6 * (8 + 8 * 3 + 8 + 4)   // six blobs of rank ≤ 3: magic, dtype, rank, dims, size, CRC
        let rowOverhead = 64                          // SQLite record and b-tree cell of one lens_results row
        return prompts * (columns + blobOverhead + rowOverhead)
    }
}

extension LensPromptResult {
    /// The same readings with only the first `k` top tokens (the top-k of a smaller k is the prefix).
    public func keepingTop(_ k: Int) -> LensPromptResult {
        let c = columns
        guard k < c.topK else { return self }
        var copy = self
        copy.columns.topK = k
        copy.columns.topIds = (0..<c.rows).flatMap { c.topIds[($0 * c.topK)..<($0 * c.topK + k)] }
        copy.columns.topProbabilities = (0..<c.rows).flatMap { c.topProbabilities[($0 * c.topK)..<($0 * c.topK + k)] }
        return copy
    }
}
