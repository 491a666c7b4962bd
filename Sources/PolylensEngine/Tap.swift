import PolylensModel

/// A point inside the forward pass whose values a consumer can receive, named as in TransformerLens.
public enum TapPoint: Hashable, Sendable, CustomStringConvertible {
    /// The residual stream after the embedding lookup (`hook_embed`, = `blocks.0.hook_resid_pre`).
    case embed
    /// The residual stream after layer `l` (`blocks.{l}.hook_resid_post`).
    case residPost(Int)
    /// a = SiLU(gate_proj · x) of layer `l`, before the product with up_proj (`blocks.{l}.mlp.hook_act`):
    /// the tensor LAPE counts and ablation zeroes.
    case mlpAct(Int)
    /// The final RMSNorm output (`ln_final.hook_normalized`).
    case finalNorm
    /// Logits over the vocabulary (`hook_logits`).
    case logits

    public var description: String {
        switch self {
        case .embed: return "hook_embed"
        case .residPost(let l): return "blocks.\(l).hook_resid_post"
        case .mlpAct(let l): return "blocks.\(l).mlp.hook_act"
        case .finalNorm: return "ln_final.hook_normalized"
        case .logits: return "hook_logits"
        }
    }

    /// Parses a TransformerLens-style name.
    public init?(name: String) {
        switch name {
        case "hook_embed", "blocks.0.hook_resid_pre": self = .embed
        case "ln_final.hook_normalized": self = .finalNorm
        case "hook_logits": self = .logits
        default:
            let parts = name.split(separator: ".")
            guard parts.count >= 3, parts[0] == "blocks", let l = Int(parts[1]) else { return nil }
            switch parts[2...].joined(separator: ".") {
            case "hook_resid_post": self = .residPost(l)
            case "hook_resid_pre" where l > 0: self = .residPost(l - 1)
            case "mlp.hook_act": self = .mlpAct(l)
            default: return nil
            }
        }
    }
}

/// Receives tapped values batch by batch and reduces them (counts, sums, pooled means); the engine never
/// keeps tokens × layers × d_mlp in memory.
public protocol TapConsumer: AnyObject {
    /// The taps this consumer wants; the engine computes logits only when `.logits` is among them or asked for.
    var taps: Set<TapPoint> { get }
    /// `values` holds `rows` consecutive positions × `width` floats, row-major; the first row is sequence
    /// position `firstPosition` (0-based, BOS included). Valid only during the call.
    func receive(_ tap: TapPoint, values: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int)
}
