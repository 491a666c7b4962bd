import Foundation

/// Colours that stay distinguishable with the common colour-vision deficiencies.
public enum Palette {
    /// Okabe & Ito (2008): eight categorical colours safe for deuteranopia, protanopia and tritanopia.
    /// Yellow is left out (too light on white); lines also vary their dash pattern beyond seven series.
    public static let categorical = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]

    static let dashes: [String?] = [nil, "6 3", "2 3", "8 3 2 3"]

    public static func color(_ index: Int) -> String { categorical[index % categorical.count] }
    static func dash(_ index: Int) -> String? { dashes[(index / categorical.count) % dashes.count] }

    /// Bars past the seventh series reuse the colours, lighter and outlined with a different dash
    /// pattern each round, so that no two of the first 28 series look alike.
    static func barAttributes(_ index: Int) -> [(String, String)] {
        let round = index / categorical.count
        guard round > 0 else { return [("fill", color(index))] }
        var attributes = [("fill", color(index)), ("fill-opacity", "0.45"), ("stroke", "#000000"), ("stroke-width", "1")]
        if let dash = dashes[round % dashes.count] { attributes.append(("stroke-dasharray", dash)) }
        return attributes
    }

    /// Viridis anchors (matplotlib), perceptually uniform and readable in grey scale.
    static let viridis: [(Double, Double, Double)] = [
        (0.267, 0.005, 0.329), (0.283, 0.141, 0.458), (0.254, 0.265, 0.530), (0.207, 0.372, 0.553),
        (0.164, 0.471, 0.558), (0.128, 0.567, 0.551), (0.135, 0.659, 0.518), (0.267, 0.749, 0.441),
        (0.478, 0.821, 0.318), (0.741, 0.873, 0.150), (0.993, 0.906, 0.144),
    ]

    /// ColorBrewer RdBu, blue for negative through near-white to red for positive: signed changes.
    static let diverging: [(Double, Double, Double)] = [
        (0.129, 0.400, 0.675), (0.404, 0.663, 0.812), (0.820, 0.898, 0.941), (0.969, 0.969, 0.969),
        (0.992, 0.859, 0.780), (0.957, 0.647, 0.510), (0.698, 0.094, 0.169),
    ]

    /// The colour at `t` in 0...1 along a list of anchors, as `#rrggbb`.
    static func interpolate(_ anchors: [(Double, Double, Double)], _ t: Double) -> String {
        let t = t.isFinite ? min(max(t, 0), 1) : 0
        let position = t * Double(anchors.count - 1)
        let i = min(Int(position), anchors.count - 2)
        let f = position - Double(i)
        let a = anchors[i], b = anchors[i + 1]
        return hex(a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        String(format: "#%02x%02x%02x", Int((r * 255).rounded()), Int((g * 255).rounded()), Int((b * 255).rounded()))
    }

    /// Dark or light text, whichever reads better on `background` (`#rrggbb`).
    static func textColor(on background: String) -> String {
        let digits = Array(background.dropFirst())
        guard digits.count == 6, let value = Int(String(digits), radix: 16) else { return "#000000" }
        let r = Double((value >> 16) & 0xFF), g = Double((value >> 8) & 0xFF), b = Double(value & 0xFF)
        return (0.299 * r + 0.587 * g + 0.114 * b) > 140 ? "#000000" : "#ffffff"
    }
}
