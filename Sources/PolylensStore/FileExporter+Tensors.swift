import Foundation
import PolylensModel

/// Which part of a run an export holds; nil means all.
public struct ExportFilter: Sendable {
    public var languages: Set<String>?
    public var layers: Set<Int>?
    public var pooling: Pooling?

    public init(languages: Set<String>? = nil, layers: Set<Int>? = nil, pooling: Pooling? = nil) {
        self.languages = languages; self.layers = layers; self.pooling = pooling
    }

    func keeps(language: String) -> Bool { languages?.contains(language) ?? true }
    func keeps(layer: Int) -> Bool { layers?.contains(layer) ?? true }
}

extension PolylensFile {
    /// Neuron statistics as stacked tensors: `languages` (sorted), `layers`, `tokens` i64 [language, layer],
    /// `active` i64, `sum` f64, `sumsq` f64, `max` f32, each [language, layer, neuron].
    public func neuronStatsTensors(run: Int64, filter: ExportFilter = ExportFilter()) throws -> [ExportTensor] {
        let stats = try neuronStats(run: run).filter { filter.keeps(language: $0.language) && filter.keeps(layer: $0.layer) }
        let languages = Array(Set(stats.map(\.language))).sorted(), layers = Array(Set(stats.map(\.layer))).sorted()
        try checkFilter(filter, languages: languages, layers: layers, of: "neuron statistics")
        let byKey = Dictionary(stats.map { ("\($0.language)\u{0}\($0.layer)", $0) }, uniquingKeysWith: { a, _ in a })
        var ordered: [NeuronStats] = []
        for g in languages {
            for l in layers {
                guard let s = byKey["\(g)\u{0}\(l)"] else { throw PolylensFileError("\(path): no neuron statistics for \(g) layer \(l)") }
                ordered.append(s)
            }
        }
        let neurons = ordered.first?.active.count ?? 0
        guard ordered.allSatisfy({ $0.active.count == neurons }) else {
            throw PolylensFileError("\(path): neuron statistics of different widths cannot be stacked")
        }
        let shape = [languages.count, layers.count, neurons]
        return [
            ExportTensor("languages", strings: languages),
            ExportTensor("layers", layers.map(Int64.init), dtype: .i64),
            ExportTensor("tokens", ordered.map(\.tokens), dtype: .i64, shape: [languages.count, layers.count]),
            ExportTensor("active", ordered.flatMap(\.active), dtype: .i64, shape: shape),
            ExportTensor("sum", ordered.flatMap(\.sum), dtype: .f64, shape: shape),
            ExportTensor("sumsq", ordered.flatMap(\.sumSquares), dtype: .f64, shape: shape),
            ExportTensor("max", ordered.flatMap(\.max), dtype: .f32, shape: shape),
        ]
    }

    /// Document summaries of one pooling (default weighted) as `data` f16 [document, layer, dim] with the
    /// documents' `language`, `item_key` ("" for corpus documents), `source` and `sha256`; `layers` lists
    /// the hidden-state layers kept (0 = embeddings).
    public func summaryTensors(run: Int64, filter: ExportFilter = ExportFilter()) throws -> [ExportTensor] {
        let pooling = filter.pooling ?? .weightedMean
        let rows = try summaries(run: run, pooling: pooling).filter { filter.keeps(language: $0.document.language) }
        let available = rows.first.map { Array(0..<$0.summary.layers) } ?? []
        let layers = available.filter(filter.keeps(layer:))
        try checkFilter(filter, languages: Array(Set(rows.map(\.document.language))), layers: layers, of: "\(pooling.rawValue) summaries")
        let dim = rows.first?.summary.dim ?? 0
        var values: [Float16] = []
        values.reserveCapacity(rows.count * layers.count * dim)
        for (d, s) in rows {
            guard s.dim == dim, s.layers == available.count else {
                throw PolylensFileError("\(path): summaries of different shapes cannot be stacked (document \(d.source))")
            }
            for l in layers { values += s.layer(l).map { Float16($0) } }
        }
        return [
            ExportTensor("data", values, dtype: .f16, shape: [rows.count, layers.count, dim]),
            ExportTensor("layers", layers.map(Int64.init), dtype: .i64),
            ExportTensor("language", strings: rows.map(\.document.language)),
            ExportTensor("item_key", strings: rows.map { $0.document.itemKey ?? "" }),
            ExportTensor("source", strings: rows.map(\.document.source)),
            ExportTensor("sha256", strings: rows.map(\.document.sha256)),
        ]
    }

    /// A saved neuron set in the original LAPE repository's layout (identify.py's `activation_mask`): per
    /// language (in `languages` order) a list over every layer 0 ..< n_layers of the neuron indices, sorted.
    public func lapeMasks(run: Int64, set name: String, filter: ExportFilter = ExportFilter(), layers: Int) throws
        -> (languages: [String], masks: [[[Int]]]) {
        let set = try neuronSet(run: run, name: name)
        let languages = set.keys.filter(filter.keeps(language:)).sorted()
        try checkFilter(filter, languages: languages, layers: Array(0..<layers), of: "neuron set \(name)")
        let masks = languages.map { g in
            (0..<layers).map { l in filter.keeps(layer: l) ? set[g]!.filter { $0.layer == l }.map(\.neuron).sorted() : [] }
        }
        return (languages, masks)
    }

    /// `{"languages": [...], "activation_mask": [[[neuron, ...] per layer] per language]}` on one line.
    public func lapeMasksJSON(run: Int64, set name: String, filter: ExportFilter = ExportFilter(), layers: Int) throws -> String {
        let (languages, masks) = try lapeMasks(run: run, set: name, filter: filter, layers: layers)
        let maskJSON = masks.map { "[" + $0.map { "[" + $0.map(String.init).joined(separator: ",") + "]" }.joined(separator: ",") + "]" }
        return "{\"languages\":[" + languages.map(JSONValue.quoted).joined(separator: ",") + "],\"activation_mask\":["
            + maskJSON.joined(separator: ",") + "]}"
    }

    /// A filter that names a language or layer the file does not have is an error, not an empty export.
    private func checkFilter(_ filter: ExportFilter, languages: [String], layers: [Int], of what: String) throws {
        if let wanted = filter.languages {
            let missing = wanted.subtracting(languages).sorted()
            if !missing.isEmpty { throw PolylensFileError("\(path): \(what) have no language \(missing.joined(separator: ", "))") }
        }
        if let wanted = filter.layers {
            let missing = wanted.subtracting(layers).sorted()
            if !missing.isEmpty { throw PolylensFileError("\(path): \(what) have no layer \(missing.map(String.init).joined(separator: ", "))") }
        }
    }
}
