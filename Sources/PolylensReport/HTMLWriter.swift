import Foundation

/// Writes HTML that is also well-formed XML (every element closed, only void elements self-closed),
/// so that tests can parse the page and so that every interpolated string is escaped in one place.
struct HTMLWriter {
    private(set) var output = ""
    private static let void: Set<String> = ["meta", "br", "hr", "img", "link"]

    mutating func element(_ tag: String, _ attributes: [(String, String)] = [], _ body: (inout HTMLWriter) -> Void) {
        open(tag, attributes)
        body(&self)
        output += "</\(tag)>"
    }

    mutating func element(_ tag: String, _ attributes: [(String, String)] = [], text: String) {
        element(tag, attributes) { $0.text(text) }
    }

    mutating func void(_ tag: String, _ attributes: [(String, String)] = []) {
        precondition(Self.void.contains(tag), "\(tag) is not a void element")
        output += "<\(tag)" + Self.attributeList(attributes) + "/>"
    }

    mutating func text(_ s: String) { output += XMLText.escape(s) }

    /// Markup that is already well-formed and escaped (an inline SVG).
    mutating func markup(_ element: SVGElement) { output += element.markup }

    mutating func newline() { output += "\n" }

    /// Static text written by this module itself (doctype, style sheet).
    mutating func trusted(_ s: String) { output += s }

    private mutating func open(_ tag: String, _ attributes: [(String, String)]) {
        output += "<\(tag)" + Self.attributeList(attributes) + ">"
    }

    private static func attributeList(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(XMLText.escapeAttribute($0.1))\"" }.joined()
    }
}
