import Foundation

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
                        emit([csv(s.language), "\(s.layer)", "\(i)", "\(s.tokens)", "\(s.active[i])",
                              "\(s.sum[i])", "\(s.sumSquares[i])", "\(s.max[i])"].joined(separator: ","))
                    default:
                        emit(json(["language": .string(s.language), "layer": .int(s.layer), "neuron": .int(i),
                                   "n": .int(Int(s.tokens)), "active": .int(Int(s.active[i])), "sum": .double(s.sum[i]),
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
                        emit([csv(st.language), "\(st.layer)", "\(i)", "\(st.tokens)", "\(st.sum[i])", "\(st.sumSquares[i])"]
                            .joined(separator: ","))
                    default:
                        emit(json(["language": .string(st.language), "layer": .int(st.layer), "dimension": .int(i),
                                   "n": .int(Int(st.tokens)), "sum": .double(st.sum[i]), "sumsq": .double(st.sumSquares[i])]))
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
                            emit([csv(d.language), csv(d.source), csv(d.itemKey ?? ""), d.sha256, pooling.rawValue, "\(l)",
                                  values.map(number).joined(separator: " ")].joined(separator: ","))
                        default:
                            emit(json(["language": .string(d.language), "source": .string(d.source),
                                       "item_key": d.itemKey.map(JSONValue.string) ?? .null, "sha256": .string(d.sha256),
                                       "pooling": .string(pooling.rawValue), "layer": .int(l), "values": .array(values)]))
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
                            emit([csv(p.source), csv(p.target), csv(p.itemKey), "\(l)", "\(position)", "\(p.tokens[position + 1])",
                                  values.map(number).joined(separator: " ")].joined(separator: ","))
                        default:
                            emit(json(["source": .string(p.source), "target": .string(p.target), "item_key": .string(p.itemKey),
                                       "layer": .int(l), "position": .int(position), "next_token": .int(Int(p.tokens[position + 1])),
                                       "values": .array(values)]))
                        }
                    }
                }
            }
        case .activationHistograms, .neuronContexts:
            try exportNeuronActivity(content, run: run, format: format, to: emit)
        }
    }
}

/// Just enough JSON for export lines, with keys in a fixed order and non-finite numbers as null.
enum JSONValue {
    case string(String), int(Int), double(Double), array([Double]), null
}

private let keyOrder = ["language", "source", "target", "item_key", "sha256", "pooling", "layer", "position",
                        "next_token", "neuron", "dimension", "n", "active", "sum", "sumsq", "max", "values"]

func json(_ object: [String: JSONValue]) -> String {
    let keys = object.keys.sorted { (keyOrder.firstIndex(of: $0) ?? 99, $0) < (keyOrder.firstIndex(of: $1) ?? 99, $1) }
    return "{" + keys.map { key in
        let text: String
        switch object[key]! {
        case .string(let s): text = jsonString(s)
        case .int(let i): text = "\(i)"
        case .double(let d): text = d.isFinite ? "\(d)" : "null"
        case .array(let a): text = "[" + a.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
        case .null: text = "null"
        }
        return jsonString(key) + ":" + text
    }.joined(separator: ",") + "}"
}

func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20: out += String(format: "\\u%04x", u.value)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

/// RFC 4180 quoting when a field needs it.
func csv(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

private func number(_ d: Double) -> String { "\(d)" }
