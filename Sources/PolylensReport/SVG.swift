import Foundation

/// A node of an SVG (XML) tree. Charts build trees instead of concatenating strings so that every
/// label and attribute goes through one escaping path and the output is always well-formed.
public enum SVGNode: Sendable {
    case element(SVGElement)
    case text(String)
}

/// One XML element with ordered attributes (ordered so that output is reproducible).
public struct SVGElement: Sendable {
    public var name: String
    public var attributes: [(String, String)]
    public var children: [SVGNode]

    public init(_ name: String, _ attributes: [(String, String)] = [], _ children: [SVGNode] = []) {
        self.name = name; self.attributes = attributes; self.children = children
    }

    public init(_ name: String, _ attributes: [(String, String)] = [], text: String) {
        self.init(name, attributes, [.text(text)])
    }

    public mutating func append(_ child: SVGElement) { children.append(.element(child)) }
    public mutating func append(contentsOf elements: [SVGElement]) { children += elements.map { .element($0) } }

    /// The element as markup, without an XML declaration (for inlining into HTML).
    public var markup: String {
        var out = ""
        write(into: &out)
        return out
    }

    /// A standalone `.svg` file: XML declaration, then the element.
    public var document: String { "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + markup + "\n" }

    func write(into out: inout String) {
        out += "<" + name
        for (key, value) in attributes { out += " \(key)=\"\(XMLText.escapeAttribute(value))\"" }
        if children.isEmpty { out += "/>"; return }
        out += ">"
        for child in children {
            switch child {
            case .element(let e): e.write(into: &out)
            case .text(let t): out += XMLText.escape(t)
            }
        }
        out += "</\(name)>"
        if name == "g" || name == "svg" { out += "\n" }
    }
}

/// Escaping shared by the SVG writer and the HTML report.
public enum XMLText {
    /// Text content: `&`, `<`, `>` escaped; characters XML 1.0 forbids shown as visible symbols.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(visible(scalar))
            }
        }
        return out
    }

    /// Attribute values: as text, plus both quote characters.
    public static func escapeAttribute(_ s: String) -> String {
        escape(s).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: "'", with: "&#39;")
    }

    /// Token strings can hold any byte; XML 1.0 allows neither C0 controls (but tab, LF, CR) nor
    /// U+FFFE/U+FFFF, so they become their Unicode control pictures (U+2400 + code) or U+FFFD.
    static func visible(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return scalar
        case 0x00..<0x20: return Unicode.Scalar(0x2400 + scalar.value) ?? "\u{FFFD}"
        case 0x7F: return "\u{2421}"
        case 0xFFFE, 0xFFFF: return "\u{FFFD}"
        default: return scalar
        }
    }
}

/// Shorthands for the few SVG primitives the charts use; coordinates are rounded to 0.01 px.
enum SVG {
    static let fontFamily = "DejaVu Sans, Liberation Sans, Arial, sans-serif"

    static func root(width: Double, height: Double, title: String, description: String,
                     _ children: [SVGElement]) -> SVGElement {
        var svg = SVGElement("svg", [
            ("xmlns", "http://www.w3.org/2000/svg"),
            ("width", num(width)), ("height", num(height)),
            ("viewBox", "0 0 \(num(width)) \(num(height))"),
            ("role", "img"),
            ("font-family", fontFamily), ("font-size", "12"),
        ])
        svg.append(SVGElement("title", text: title))
        svg.append(SVGElement("desc", text: description))
        svg.append(rect(x: 0, y: 0, width: width, height: height, fill: "#ffffff"))
        svg.append(contentsOf: children)
        return svg
    }

    static func group(_ attributes: [(String, String)] = [], _ children: [SVGElement]) -> SVGElement {
        SVGElement("g", attributes, children.map { .element($0) })
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, fill: String,
                     extra: [(String, String)] = [], tooltip: String? = nil) -> SVGElement {
        SVGElement("rect", [("x", num(x)), ("y", num(y)), ("width", num(max(0, width))),
                            ("height", num(max(0, height))), ("fill", fill)] + extra,
                   tooltip.map { [.element(SVGElement("title", text: $0))] } ?? [])
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#333333",
                     width: Double = 1, extra: [(String, String)] = []) -> SVGElement {
        SVGElement("line", [("x1", num(x1)), ("y1", num(y1)), ("x2", num(x2)), ("y2", num(y2)),
                            ("stroke", stroke), ("stroke-width", num(width))] + extra)
    }

    enum Anchor: String { case start, middle, end }

    static func text(_ string: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12,
                     weight: String? = nil, fill: String = "#222222", rotate: Double? = nil,
                     baseline: String? = nil) -> SVGElement {
        var attributes: [(String, String)] = [("x", num(x)), ("y", num(y)), ("text-anchor", anchor.rawValue),
                                              ("font-size", num(size)), ("fill", fill)]
        if let weight { attributes.append(("font-weight", weight)) }
        if let baseline { attributes.append(("dominant-baseline", baseline)) }
        if let rotate { attributes.append(("transform", "rotate(\(num(rotate)) \(num(x)) \(num(y)))")) }
        return SVGElement("text", attributes, text: string)
    }

    static func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 2,
                         dash: String? = nil) -> SVGElement {
        var attributes: [(String, String)] = [
            ("points", points.map { "\(num($0.0)),\(num($0.1))" }.joined(separator: " ")),
            ("fill", "none"), ("stroke", stroke), ("stroke-width", num(width)),
            ("stroke-linejoin", "round"), ("stroke-linecap", "round"),
        ]
        if let dash { attributes.append(("stroke-dasharray", dash)) }
        return SVGElement("polyline", attributes)
    }

    /// Coordinates with at most two decimals and no trailing zeros; never "nan" or "inf".
    static func num(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let rounded = (v * 100).rounded() / 100
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int64(rounded)) }
        var s = String(format: "%.2f", rounded)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    /// Rough width of a label in the chart font, for layout (no font metrics without a renderer).
    static func textWidth(_ s: String, size: Double = 12) -> Double { Double(s.count) * size * 0.6 }
}
