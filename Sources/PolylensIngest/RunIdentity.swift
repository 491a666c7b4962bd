import Foundation
import PolylensStore

/// Which ingest options define a run, and what happens when an ingest into an existing file changes them.
///
/// A run is one model, one tokenizer and one way of processing a document: BOS, truncation, the
/// held-out fraction, what is stored per document or token, the batch sizes (the float64 summation
/// order). Changing any of those would mix incomparable documents, so it needs a new run, which ingest
/// refuses without `--new-run` and explains before computing anything. Everything else — which corpus
/// specs, the token budget, the lens prompts' items and languages — only says *which documents* to
/// add: the same run continues, only documents not yet in it are computed, and the run's parameters
/// keep every call's specs and budgets in `history`.
///
/// A parameter is run-defining unless its key is in `growableKeys`, so an option added later is safe
/// by default; a run-defining key that older runs lack is compared through `legacyDefaults`.
public enum RunIdentity {
    /// Corpus specs and budgets: they change which documents are added, never how one is processed.
    public static let growableKeys: Set<String> = ["corpus", "max_tokens_per_language", "prompts", "lens_items", "lens_languages"]
    /// The value a run written before a run-defining key existed had implicitly (none so far).
    public static let legacyDefaults: [String: Any] = [:]
    static let historyKey = "history"

    /// What an ingest will write into: an existing run (`run`) or a new one, with the parameters to store.
    public struct Choice {
        /// The run that continues; nil when a new run is created.
        public var run: Int64?
        /// This call's provenance, its `parametersJSON` already merged with the continued run's history.
        public var info: RunInfo
        /// What the researcher should read before anything is computed; nil for a plain resume or a fresh file.
        public var message: String?
        /// Whether the stored parameters change (a new run, or a run that grows).
        public var updatesParameters: Bool
    }

    /// Chooses the run for `info` (this call's provenance, parameters flat) among `runs` of the file at `path`.
    public static func choose(for info: RunInfo, among runs: [(id: Int64, info: RunInfo)], allowNewRun: Bool,
                              path: String) throws -> Choice {
        let this = try parameters(info.parametersJSON, path: path)
        let wanted = defining(this)
        let matching = try runs.filter { r in
            guard r.info.modelSHA256 == info.modelSHA256 && r.info.tokenizerSHA256 == info.tokenizerSHA256 else { return false }
            return canonical(defining(try parameters(r.info.parametersJSON, path: path))) == canonical(wanted)
        }
        if let run = matching.last {
            let stored = try parameters(run.info.parametersJSON, path: path)
            let (merged, changes) = grow(stored, with: this)
            var updated = info
            updated.parametersJSON = json(merged)
            return Choice(run: run.id, info: updated,
                          message: changes.isEmpty ? nil : "run \(run.id) continues (only new documents are computed): \(changes.joined(separator: "; "))",
                          updatesParameters: !changes.isEmpty)
        }
        var fresh = info
        fresh.parametersJSON = json(grow([:], with: this).parameters)
        guard let closest = runs.last(where: { $0.info.modelSHA256 == info.modelSHA256 }) ?? runs.last else {
            return Choice(run: nil, info: fresh, message: nil, updatesParameters: true)
        }
        let next = (runs.map(\.id).max() ?? 0) + 1
        let reason = try differences(closest.info, info, path: path).joined(separator: "; ")
        guard allowNewRun else {
            throw IngestError("\(path): this ingest cannot continue run \(closest.id): \(reason); give --new-run to start run \(next) (analyses then need --run), or keep those options as run \(closest.id) has them")
        }
        return Choice(run: nil, info: fresh, message: "starting run \(next), not continuing run \(closest.id): \(reason)",
                      updatesParameters: true)
    }

    // MARK: - Parameters

    static func parameters(_ json: String, path: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw IngestError("\(path): a run's parameters_json is not a JSON object")
        }
        return normalized(object)
    }

    /// A merged run (`{"merged": [p1, p2, …]}`, from `polylens merge`) whose parts agree on every
    /// run-defining parameter reads as one run with their growable parameters and histories joined.
    static func normalized(_ p: [String: Any]) -> [String: Any] {
        guard let parts = p["merged"] as? [[String: Any]], let first = parts.first,
              Set(parts.map { canonical(defining($0)) }).count == 1 else { return p }
        var out = defining(first)
        for part in parts { out = grow(out, with: part, recordHistory: false).parameters }
        out[historyKey] = parts.flatMap(historyEntries)
        return out
    }

    /// The run-defining parameters, older runs' missing keys filled from `legacyDefaults`.
    static func defining(_ p: [String: Any], legacy: [String: Any] = legacyDefaults) -> [String: Any] {
        var d = p.filter { !growableKeys.contains($0.key) && $0.key != historyKey }
        for (key, value) in legacy where d[key] == nil { d[key] = value }
        return d
    }

    static func growable(_ p: [String: Any]) -> [String: Any] { p.filter { growableKeys.contains($0.key) } }

    /// The calls recorded so far; a run from before histories were kept counts as one call.
    static func historyEntries(_ p: [String: Any]) -> [[String: Any]] {
        if let h = p[historyKey] as? [[String: Any]] { return h }
        let g = growable(p)
        return g.isEmpty ? [] : [g]
    }

    /// `stored` grown by this call's growable parameters: corpus specs and lens languages joined (in
    /// order of first use), lens items the largest, prompts and budgets as this call gives them (no
    /// budget: none). A call that changes any of them is appended to the history, with its time.
    static func grow(_ stored: [String: Any], with this: [String: Any], recordHistory: Bool = true)
        -> (parameters: [String: Any], changes: [String]) {
        var out = stored.merging(defining(this)) { old, _ in old }
        var changes: [String] = []
        let specs = union(stored["corpus"] as? [String] ?? [], this["corpus"] as? [String] ?? [])
        let added = specs.dropFirst((stored["corpus"] as? [String] ?? []).count)
        if !added.isEmpty { changes.append("adds " + added.joined(separator: ", ")) }
        out["corpus"] = specs
        if let languages = this["lens_languages"] as? [String] {
            out["lens_languages"] = union(stored["lens_languages"] as? [String] ?? [], languages)
        }
        if let items = this["lens_items"] as? Int { out["lens_items"] = max(items, stored["lens_items"] as? Int ?? 0) }
        if let prompts = this["prompts"] { out["prompts"] = prompts }
        for key in growableKeys.subtracting(["corpus", "lens_languages", "lens_items", "prompts"]).sorted() {
            out[key] = this[key]
        }
        var history = historyEntries(stored)
        let entry = growable(this)
        let last = history.last.map(growable)
        if recordHistory, last.map({ canonical($0) != canonical(entry) }) ?? true {
            if let last {
                for key in growableKeys.sorted() where key != "corpus" && canonical(last[key]) != canonical(entry[key]) {
                    changes.append("\(key) \(display(last[key])) → \(display(entry[key]))")
                }
            }
            history.append(entry.merging(["at": ISO8601DateFormatter().string(from: Date())]) { a, _ in a })
        }
        if recordHistory { out[historyKey] = history }
        return (out, stored.isEmpty ? [] : changes)
    }

    /// Why `stored`'s run cannot take this call: model, tokenizer, run-defining parameters that differ.
    static func differences(_ stored: RunInfo, _ info: RunInfo, path: String) throws -> [String] {
        var out: [String] = []
        if stored.modelSHA256 != info.modelSHA256 {
            out.append("another model (sha256 \(info.modelSHA256.prefix(12))…, the run has \(stored.modelSHA256.prefix(12))… from \(stored.modelPath))")
        }
        if stored.tokenizerSHA256 != info.tokenizerSHA256 {
            out.append("another tokenizer (sha256 \(info.tokenizerSHA256.prefix(12))…, the run has \(stored.tokenizerSHA256.prefix(12))…)")
        }
        let a = defining(try parameters(stored.parametersJSON, path: path)), b = defining(try parameters(info.parametersJSON, path: path))
        for key in Set(a.keys).union(b.keys).sorted() where canonical(a[key]) != canonical(b[key]) {
            out.append("\(key) \(display(a[key])) → \(display(b[key]))")
        }
        return out
    }

    // MARK: - JSON values

    static func union(_ a: [String], _ b: [String]) -> [String] { a + b.filter { !a.contains($0) } }

    /// A JSON value as compact JSON with sorted keys, for comparison; "absent" when missing.
    static func canonical(_ value: Any?) -> String {
        guard let value else { return "absent" }
        guard let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys, .withoutEscapingSlashes]) else { return "\(value)" }
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    static func display(_ value: Any?) -> String { value == nil ? "(none)" : canonical(value) }

    static func json(_ p: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: p, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}
