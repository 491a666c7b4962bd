import PolylensEngine

/// The residual stream of one prompt at the positions that predict its target snippet: rows
/// 0 = embeddings and l = after block l - 1 (before the final norm, which the lens applies).
public final class LensStateCollector: TapConsumer {
    public let layers: Int
    public let dim: Int
    public let firstPosition: Int
    public let positions: Int
    public let taps: Set<TapPoint>
    /// layers × positions × dim, row-major.
    public private(set) var states: [Float]

    /// Collects positions `firstPosition ..< tokenCount - 1` (each predicts the token after it).
    public init(blocks: Int, dim: Int, firstPosition: Int, tokenCount: Int) {
        layers = blocks + 1; self.dim = dim; self.firstPosition = firstPosition
        positions = max(0, tokenCount - 1 - firstPosition)
        taps = Set([.embed] + (0..<blocks).map { TapPoint.residPost($0) })
        states = Array(repeating: 0, count: layers * positions * dim)
    }

    public func receive(_ tap: TapPoint, values: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int) {
        let layer: Int
        switch tap {
        case .embed: layer = 0
        case .residPost(let l) where l >= 0 && l < layers - 1: layer = l + 1
        default: return
        }
        guard width == dim, let base = values.baseAddress else { return }
        let lo = max(firstPosition, self.firstPosition)
        let hi = min(firstPosition + rows, self.firstPosition + positions)
        guard lo < hi else { return }
        states.withUnsafeMutableBufferPointer { s in
            for p in lo..<hi {
                let src = base + (p - firstPosition) * width
                let dst = (layer * positions + (p - self.firstPosition)) * dim
                for i in 0..<dim { s[dst + i] = src[i] }
            }
        }
    }
}
