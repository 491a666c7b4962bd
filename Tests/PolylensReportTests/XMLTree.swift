import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element, so tests check the charts and the report as a parser sees them.
final class XMLTree {
    let name: String
    let attributes: [String: String]
    var children: [XMLTree] = []
    var text = ""

    init(name: String, attributes: [String: String]) { self.name = name; self.attributes = attributes }

    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    /// Parses a document, throwing with the parser's message when it is not well-formed.
    static func parse(_ markup: String) throws -> XMLTree {
        let builder = Builder()
        let parser = XMLParser(data: Data(markup.utf8))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            throw ParseError(description: "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "no root") at line \(parser.lineNumber)")
        }
        return root
    }

    /// This element and all below it, depth first.
    var all: [XMLTree] { [self] + children.flatMap { $0.all } }

    func elements(_ name: String) -> [XMLTree] { all.filter { $0.name == name } }
    func elements(_ name: String, class cls: String) -> [XMLTree] {
        all.filter { $0.name == name && ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cls)) }
    }

    /// The text of this element and its descendants, concatenated.
    var allText: String { text + children.map { $0.allText }.joined() }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName: String?, attributes: [String: String] = [:]) {
            let node = XMLTree(name: elementName, attributes: attributes)
            stack.last?.children.append(node)
            if stack.isEmpty { root = node }
            stack.append(node)
        }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
    }
}
