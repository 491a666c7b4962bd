import Foundation
import PolylensModel

/// What `polylens export` writes.
public enum ExportContent: String, CaseIterable, Sendable {
    case neuronStats = "neuron-stats", summaries, lens
    case languageStates = "language-states"
    /// A saved neuron set in the original LAPE repository's layout.
    case lapeSet = "lape-set"
    case activationHistograms = "activation-histograms", neuronContexts = "neuron-contexts"
}

public enum ExportFormat: String, CaseIterable, Sendable {
    case csv, jsonl, json, npz, safetensors

    /// Formats that hold tensors as binary arrays and are written to a file.
    public var isArchive: Bool { self == .npz || self == .safetensors }
}

extension PolylensFile {
    /// The only run of the file, or `run` when given: exports and reports address one run.
    public func resolveRun(_ run: Int64?) throws -> Int64 {
        let ids = try runs().map(\.id)
        if let run {
            guard ids.contains(run) else { throw PolylensFileError("\(path): there is no run \(run) (runs: \(ids.map(String.init).joined(separator: ", ")))") }
            return run
        }
        guard ids.count == 1, let only = ids.first else {
            throw PolylensFileError(ids.isEmpty ? "\(path): holds no run" : "\(path): holds runs \(ids.map(String.init).joined(separator: ", ")); choose one with --run")
        }
        return only
    }

    /// Writes one run's data line by line (CSV with a header, or JSON lines). Neuron statistics: one row per
    /// language, layer and neuron, header `language,layer,neuron,n,active,sum,sumsq,max`; language states:
    /// `language,layer,dimension,n,sum,sumsq`. `filter` keeps languages, layers and one pooling (lens: layers only).
    public func export(_ content: ExportContent, run: Int64, format: ExportFormat, filter: ExportFilter = ExportFilter(),
                       to emit: (String) -> Void) throws {
        switch content {
        case .lapeSet:
            throw PolylensFileError("\(path): a neuron set exports with lapeMasksJSON")
        case .neuronStats:
            if format == .csv { emit("language,layer,neuron,n,active,sum,sumsq,max") }
            for s in try neuronStats(run: run) where filter.keeps(language: s.language) && filter.keeps(layer: s.layer) {
                for i in 0..<s.neurons {
                    switch format {
                    case .csv:
                        emit([CSVField.quote(s.language), "\(s.layer)", "\(i)", "\(s.tokens)", "\(s.active[i])",
                              "\(s.sum[i])", "\(s.sumSquares[i])", "\(s.max[i])"].joined(separator: ","))
                    default:
                        emit(json(["language": .string(s.language), "layer": .integer(s.layer), "neuron": .integer(i),
                                   "n": .integer(Int(s.tokens)), "active": .integer(Int(s.active[i])), "sum": .double(s.sum[i]),
                                   "sumsq": .double(s.sumSquares[i]), "max": .double(Double(s.max[i]))]))
                    }
                }
            }
        case .languageStates:
            // One row per language, layer and dimension: the sums of h and h² over the n counted tokens.
            if format == .csv { emit("language,layer,dimension,n,sum,sumsq") }
            for st in try languageStates(run: run) where filter.keeps(language: st.language) && filter.keeps(layer: st.layer) {
                for i in 0..<st.dim {
                    switch format {
                    case .csv:
                        emit([CSVField.quote(st.language), "\(st.layer)", "\(i)", "\(st.tokens)", "\(st.sum[i])", "\(st.sumSquares[i])"]
                            .joined(separator: ","))
                    default:
                        emit(json(["language": .string(st.language), "layer": .integer(st.layer), "dimension": .integer(i),
                                   "n": .integer(Int(st.tokens)), "sum": .double(st.sum[i]), "sumsq": .double(st.sumSquares[i])]))
                    }
                }
            }
        case .summaries:
            if format == .csv { emit("language,source,item_key,sha256,pooling,layer,values") }
            for pooling in Pooling.allCases where filter.pooling ?? pooling == pooling {
                for (d, s) in try summaries(run: run, pooling: pooling) where filter.keeps(language: d.language) {
                    for l in 0..<s.layers where filter.keeps(layer: l) {
                        let values = s.layer(l).map(Double.init)
                        switch format {
                        case .csv:
                            emit([CSVField.quote(d.language), CSVField.quote(d.source), CSVField.quote(d.itemKey ?? ""), d.sha256, pooling.rawValue, "\(l)",
                                  values.map(number).joined(separator: " ")].joined(separator: ","))
                        default:
                            emit(json(["language": .string(d.language), "source": .string(d.source),
                                       "item_key": d.itemKey.map(JSONValue.string) ?? .null, "sha256": .string(d.sha256),
                                       "pooling": .string(pooling.rawValue), "layer": .integer(l), "values": .numbers(values)]))
                        }
                    }
                }
            }
        case .lens:
            if format == .csv { emit("source,target,item_key,layer,position,next_token,values") }
            for p in try lensPrompts(run: run) {
                for l in 0..<p.layers where filter.keeps(layer: l) {
                    for k in 0..<p.positions {
                        let position = p.firstPosition + k
                        let start = (l * p.positions + k) * p.dim
                        let values = p.states[start..<(start + p.dim)].map(Double.init)
                        switch format {
                        case .csv:
                            emit([CSVField.quote(p.source), CSVField.quote(p.target), CSVField.quote(p.itemKey), "\(l)", "\(position)", "\(p.tokens[position + 1])",
                                  values.map(number).joined(separator: " ")].joined(separator: ","))
                        default:
                            emit(json(["source": .string(p.source), "target": .string(p.target), "item_key": .string(p.itemKey),
                                       "layer": .integer(l), "position": .integer(position), "next_token": .integer(Int(p.tokens[position + 1])),
                                       "values": .numbers(values)]))
                        }
                    }
                }
            }
        case .activationHistograms, .neuronContexts:
            try exportNeuronActivity(content, run: run, format: format, to: emit)
        }
    }
}

private let keyOrder = ["language", "source", "target", "item_key", "sha256", "pooling", "layer", "position",
                        "next_token", "neuron", "dimension", "n", "active", "sum", "sumsq", "max", "values"]

/// One export line as a JSON object, keys in a fixed order (the CSV's column order).
func json(_ object: [String: JSONValue]) -> String {
    JSONValue.objectText(object.keys.sorted { (keyOrder.firstIndex(of: $0) ?? 99, $0) < (keyOrder.firstIndex(of: $1) ?? 99, $1) }
        .map { ($0, object[$0]!) })
}

private func number(_ d: Double) -> String { "\(d)" }
