import Foundation
import PolylensEngine
import PolylensModel
import PolylensStore

/// `polylens execute`: the Swift executor of one shard plan (FORMAT.md, "Executing a shard"). Runs the
/// plan's token ids with `PlanExecutor`, the loop ingest runs, into a copy of the plan file, and renames the
/// copy to `result-0000i-of-0000N.polylens` once it is complete: a result that exists is never recomputed.
public enum ShardExecution {
    /// What one call did.
    public struct Outcome {
        public var result: URL
        public var shard: ShardPlan
        /// The result was there already; nothing was computed.
        public var alreadyComplete: Bool
        /// nil when already complete.
        public var report: Ingestor.Report?
    }

    public static let engine = "polylens-swift"

    /// The plan file of `shard` of `count` in a plan directory.
    public static func planFile(in directory: URL, shard: Int, of count: Int) -> URL {
        directory.appendingPathComponent(ShardPlan.planFileName(shard: shard, of: count))
    }

    /// Executes the plan at `planURL` into `resultDirectory`. `expected` (from `--shard i/N`) must match the plan's
    /// shard; `modelPath` replaces the run's recorded model path (opened only when its sha256 is the recorded one).
    public static func execute(plan planURL: URL, expected: (shard: Int, count: Int)? = nil, into resultDirectory: URL,
                               modelPath: String? = nil, threads: Int? = nil,
                               progress: ((IngestProgress) -> Void)? = nil, shouldStop: (() -> Bool)? = nil) throws -> Outcome {
        let fm = FileManager.default
        let plan = try PolylensFile.open(planURL)
        guard let row = try plan.shardPlan() else { throw IngestError("\(planURL.path): not a shard plan (no shard_plan row)") }
        if let expected, expected.shard != row.shard || expected.count != row.shardCount {
            throw IngestError("\(planURL.path): holds shard \(row.shard)/\(row.shardCount), not \(expected.shard)/\(expected.count)")
        }
        guard try plan.shardResults().isEmpty else { throw IngestError("\(planURL.path): a result shard, not a plan") }
        guard try plan.shardContentSHA256() == row.shardSHA256 else {
            throw IngestError("\(planURL.path): edited after planning (its content no longer hashes to its shard_sha256 \(row.shardSHA256.prefix(12))…)")
        }
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: resultDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw IngestError("\(resultDirectory.path): no such directory")
        }
        let result = resultDirectory.appendingPathComponent(ShardPlan.resultFileName(shard: row.shard, of: row.shardCount))
        if fm.fileExists(atPath: result.path) {
            return Outcome(result: result, shard: row, alreadyComplete: true, report: nil)
        }
        let runs = try plan.runs()
        guard runs.count == 1, let run = runs.first else { throw IngestError("\(planURL.path): a shard plan holds one run, this one \(runs.count)") }
        let options = try IngestOptions(executing: run.info.parametersJSON, path: planURL.path)
        let tokenSets = try plan.tokenSets(run: run.id)
        let plannedDocuments = try plan.plannedDocuments(), plannedPrompts = try plan.plannedPrompts()
        try plan.close()
        let weights = try loadModel(modelPath ?? run.info.modelPath, as: run.info, plan: planURL.path)
        let workPlan = try executable(plannedDocuments, plannedPrompts, maxPositions: weights.config.maxPositions,
                                      vocab: weights.config.vocabSize, plan: planURL.path)

        let temporary = resultDirectory.appendingPathComponent(".\(result.lastPathComponent).partial-\(getpid())")
        let sidecars = ["", "-wal", "-shm", "-journal"]
        for suffix in sidecars { try? fm.removeItem(atPath: temporary.path + suffix) }
        var completed = false
        defer { if !completed { for suffix in sidecars { try? fm.removeItem(atPath: temporary.path + suffix) } } }
        do { try fm.copyItem(at: planURL, to: temporary) } catch {
            throw IngestError("cannot copy \(planURL.path) to \(temporary.path): \(error.localizedDescription)")
        }
        let file = try PolylensFile.open(temporary, readOnly: false)
        let startedAt = Date()
        var report = Ingestor.Report(run: run.id)
        try PlanExecutor(weights: weights, options: options, tokenSets: tokenSets)
            .execute(workPlan, into: file, run: run.id, report: &report, threads: threads, alreadyPerLanguage: [:],
                     tokens: { d in d.tokens?.map { Int($0) } ?? [] }, progress: progress, shouldStop: shouldStop)
        if report.interrupted {
            try file.close()
            return Outcome(result: result, shard: row, alreadyComplete: false, report: report)
        }
        let libraries = ["polylens": PolylensVersion.string, "sqlite": try file.sqliteVersion()]
        let librariesJSON = String(decoding: try JSONSerialization.data(withJSONObject: libraries, options: [.sortedKeys]), as: UTF8.self)
        try file.addShardResult(ShardResult(plan: row, engine: engine, engineVersion: PolylensVersion.string, device: "cpu",
                                            dtype: "float32", librariesJSON: librariesJSON, tokens: report.tokensComputed,
                                            seconds: Date().timeIntervalSince(startedAt), startedAt: startedAt.ISO8601Format(),
                                            finishedAt: Date().ISO8601Format()))
        try file.close()
        try synchronize(temporary.path, what: "the result")
        guard rename(temporary.path, result.path) == 0 else {
            throw IngestError("cannot rename \(temporary.path) to \(result.path): \(String(cString: strerror(errno)))")
        }
        completed = true
        try synchronize(resultDirectory.path, what: "the result directory")
        return Outcome(result: result, shard: row, alreadyComplete: false, report: report)
    }

    /// The recorded model, opened only when it is the one planned (sha256 and architecture).
    static func loadModel(_ path: String, as run: RunInfo, plan: String) throws -> ModelWeights {
        let weights = try ModelLoader.load(URL(fileURLWithPath: path))
        let sha256 = try FileDigest.sha256(of: weights.files)
        guard sha256 == run.modelSHA256 else {
            throw IngestError("\(path): sha256 \(sha256.prefix(12))… is not the model \(plan) was planned for (\(run.modelSHA256.prefix(12))… from \(run.modelPath))")
        }
        guard RunProvenance.architectureJSON(weights.config) == run.architectureJSON else {
            throw IngestError("\(path): its architecture is not the one \(plan) records")
        }
        return weights
    }

    /// The planned rows as the plan `PlanExecutor` runs, checked so that no id can reach the engine out of range.
    static func executable(_ documents: [PlannedDocument], _ prompts: [PlannedPrompt], maxPositions: Int, vocab: Int,
                           plan: String) throws -> IngestPlan {
        func check(_ ids: [Int32], _ what: String) throws {
            guard !ids.isEmpty, ids.count <= maxPositions else {
                throw IngestError("\(plan): \(what) has \(ids.count) tokens; the model takes 1…\(maxPositions)")
            }
            if let bad = ids.first(where: { $0 < 0 || Int($0) >= vocab }) {
                throw IngestError("\(plan): \(what) has token id \(bad), outside the vocabulary of \(vocab)")
            }
        }
        var out = IngestPlan()
        for d in documents {
            try check(d.tokenIds, "planned document \(d.ordinal)")
            out.documents.append(IngestPlan.Document(
                document: CorpusDocument(language: d.language, source: d.source, itemKey: d.itemKey, content: .text(""), bytes: d.bytes),
                key: DocumentKey(language: d.language, sha256: d.sha256, itemKey: d.itemKey), tokenCount: d.tokenIds.count,
                heldOut: d.heldOut, tokens: d.tokenIds))
        }
        for p in prompts {
            try check(p.tokens, "planned prompt \(p.ordinal)")
            guard p.firstPosition >= 0, p.firstPosition < p.tokens.count - 1 else {
                throw IngestError("\(plan): planned prompt \(p.ordinal) has first_position \(p.firstPosition) for \(p.tokens.count) tokens")
            }
            out.prompts.append(IngestPlan.Prompt(source: p.source, target: p.target, itemKey: p.itemKey, tokens: p.tokens,
                                                 firstPosition: p.firstPosition))
        }
        return out
    }

    static func synchronize(_ path: String, what: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0, fsync(fd) == 0 || errno == EINVAL else {
            if fd >= 0 { close(fd) }
            throw IngestError("\(path): cannot sync \(what) to disk: \(String(cString: strerror(errno)))")
        }
        close(fd)
    }
}
