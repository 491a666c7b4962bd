import PolylensModel

/// `polylens export --what activation-histograms | neuron-contexts` (issue 12).
extension PolylensFile {
    /// Histograms: one row per (language, layer, neuron) with its 40 counts (bins as in FORMAT.md), header
    /// `language,layer,neuron,counts`. Contexts: one row per (scope, layer, neuron, rank), header
    /// `scope,layer,neuron,rank,value,language,sha256,item_key,position,tokens` (tokens: the window's ids, −1 outside).
    func exportNeuronActivity(_ content: ExportContent, run: Int64, format: ExportFormat, to emit: (String) -> Void) throws {
        if content == .activationHistograms {
            if format == .csv { emit("language,layer,neuron,counts") }
            for h in try activationHistograms(run: run) {
                for i in 0..<h.neurons {
                    let counts = h.counts(neuron: i).map(Double.init)
                    switch format {
                    case .csv:
                        emit([CSVField.quote(h.language), "\(h.layer)", "\(i)", counts.map { String(Int64($0)) }.joined(separator: " ")].joined(separator: ","))
                    default:
                        emit(json(["language": .string(h.language), "layer": .integer(h.layer), "neuron": .integer(i), "counts": .numbers(counts)]))
                    }
                }
            }
            return
        }
        if format == .csv { emit("scope,layer,neuron,rank,value,language,sha256,item_key,position,tokens") }
        let keys = try documentKeysByID(run: run)
        for scope in try contextScopes(run: run) {
            var layer = 0
            while let table = try neuronContexts(run: run, scope: scope, layer: layer) {
                for (i, list) in table.contexts.enumerated() {
                    for (rank, c) in list.enumerated() {
                        let key = keys[c.document]
                        switch format {
                        case .csv:
                            emit([CSVField.quote(scope), "\(layer)", "\(i)", "\(rank)", "\(c.value)", CSVField.quote(key?.language ?? ""), key?.sha256 ?? "",
                                  CSVField.quote(key?.itemKey ?? ""), "\(c.position)", c.tokens.map(String.init).joined(separator: " ")].joined(separator: ","))
                        default:
                            emit(json(["scope": .string(scope), "layer": .integer(layer), "neuron": .integer(i), "rank": .integer(rank),
                                       "value": .double(Double(c.value)), "language": key.map { .string($0.language) } ?? .null,
                                       "sha256": key.map { .string($0.sha256) } ?? .null,
                                       "item_key": key?.itemKey.map(JSONValue.string) ?? .null, "position": .integer(Int(c.position)),
                                       "tokens": .numbers(c.tokens.map(Double.init))]))
                        }
                    }
                }
                layer += 1
            }
        }
    }
}
