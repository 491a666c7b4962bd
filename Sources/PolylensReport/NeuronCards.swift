import Foundation
import PolylensAnalysis
import PolylensStore
import PolylensTokenizer

/// What the LAPE sets are made of (issue 12): for each language, its most selective neurons as cards with
/// the activation rate in every language and the top contexts in that language, the firing token marked.
public struct NeuronCardsSection: Sendable {
    public struct Card: Sendable {
        public var language: String
        public var layer: Int
        public var neuron: Int
        /// Entropy of the normalised activation probabilities over languages (LAPE's H; lower is more selective).
        public var entropy: Double
        /// (language, rate of a > 0) for every language, in the section's order.
        public var rates: [(language: String, rate: Double)]
        /// Up to a few contexts: text before, the firing token, text after, and the activation.
        public var contexts: [(before: String, token: String, after: String, value: Float)]
    }

    public var languages: [String]
    public var cards: [Card]

    public init(languages: [String], cards: [Card]) { self.languages = languages; self.cards = cards }

    /// Per language, the `perLanguage` lowest-entropy neurons of its LAPE set, with their contexts in that
    /// language (decoded with `tokenizer`, or as ids without one). nil when the file holds no contexts.
    public static func build(file: PolylensFile, run: Int64, lape: LAPEResult, probabilities: ActivationProbabilities,
                             tokenizer: Tokenizer?, perLanguage: Int = 3, contexts: Int = 3) throws -> NeuronCardsSection? {
        guard !(try file.contextScopes(run: run)).isEmpty else { return nil }
        var tables: [String: NeuronContextTable] = [:]
        func table(_ scope: String, _ layer: Int) throws -> NeuronContextTable? {
            let key = "\(scope)/\(layer)"
            if let t = tables[key] { return t }
            let t = try file.neuronContexts(run: run, scope: scope, layer: layer)
            tables[key] = t
            return t
        }
        var cards: [Card] = []
        for (k, language) in lape.languages.enumerated() {
            let chosen = lape.selected[k].sorted {
                (lape.entropy[$0.layer * lape.neurons + $0.neuron], $0.layer, $0.neuron)
                    < (lape.entropy[$1.layer * lape.neurons + $1.neuron], $1.layer, $1.neuron)
            }.prefix(perLanguage)
            for ref in chosen {
                let list = try table(language, ref.layer)?.contexts[ref.neuron] ?? []
                let before = (try table(language, ref.layer))?.before ?? 0
                cards.append(Card(
                    language: language, layer: ref.layer, neuron: ref.neuron,
                    entropy: lape.entropy[ref.layer * lape.neurons + ref.neuron],
                    rates: lape.languages.indices.map { (lape.languages[$0], probabilities[ref.layer, ref.neuron, $0]) },
                    contexts: list.prefix(contexts).map { c in
                        let p = ContextText.parts(c.tokens, firing: before, tokenizer: tokenizer)
                        return (p.before, p.token, p.after, c.value)
                    }))
            }
        }
        return NeuronCardsSection(languages: lape.languages, cards: cards)
    }

    func render(into html: inout HTMLWriter) {
        html.element("h3", text: "What the most selective neurons respond to")
        html.paragraph("Per language, its three lowest-entropy LAPE neurons: the rate of a > 0 in every language (bar) and "
                       + "the neuron's strongest activations in that language, the firing token marked.", class: "method")
        html.element("div", [("class", "grid")]) { grid in
            for card in cards {
                grid.element("figure", [("class", "neuron-card")]) { f in
                    f.element("h4", [("style", "margin: 2px 0 6px")],
                              text: "\(card.language) · neuron \(card.layer):\(card.neuron) · H = \(String(format: "%.3f", card.entropy))")
                    f.element("table") { t in
                        for (language, rate) in card.rates {
                            t.element("tr") { row in
                                row.element("td", text: language)
                                row.element("td", [("class", "num")], text: String(format: "%.3f", rate))
                                row.element("td") { cell in
                                    let width = Int((max(0, min(1, rate)) * 160).rounded())
                                    cell.element("span", [("style", "display:inline-block;height:10px;width:\(width)px;background:"
                                                           + (language == card.language ? "#0072B2" : "#999"))], text: "")
                                }
                            }
                        }
                    }
                    if card.contexts.isEmpty {
                        f.paragraph("No contexts stored for this language.", class: "truncated")
                    }
                    for c in card.contexts {
                        f.element("p", [("style", "margin:4px 0;font-size:13px")]) { p in
                            p.element("code", text: String(format: "%.2f ", c.value))
                            p.element("code", text: c.before)
                            p.element("mark", [("class", "token")], text: c.token)
                            p.element("code", text: c.after)
                        }
                    }
                }
            }
        }
    }
}
