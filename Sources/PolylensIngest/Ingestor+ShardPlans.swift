import Foundation
import PolylensModel
import PolylensStore

/// What `writeShardPlans` wrote.
public struct ShardPlanSummary: Sendable {
    public var directory: URL
    public var planSHA256: String
    public var shards: [ShardPlan]
    public var documents: Int
    public var prompts: Int
    public var heldOut: Int
}

extension Ingestor {
    /// Plans a fresh run exactly as `run` would (`plan`, `RunIdentity`, token sets) and writes it as `count`
    /// shard plan files into `directory` (FORMAT.md, "Shard plans and result shards"): contiguous ranges of
    /// the plan order, balanced by tokens to compute. The files are written into a sibling temporary
    /// directory renamed to `directory` at the end, so a plan directory is complete or absent.
    public func writeShardPlans(to directory: URL, count: Int, planning: ((Int, Int) -> Void)? = nil,
                                progress: ((WorkProgress) -> Void)? = nil) throws -> ShardPlanSummary {
        guard count >= 1 else { throw IngestError("--shards must be at least 1, got \(count)") }
        // The run's parameters carry `lens_states` but not the codec (it does not decide which run an ingest
        // continues), so an executor would write f16: refuse rather than store something else than asked.
        if options.lensStates && options.lensStateCodec != .f16 {
            throw IngestError("--lens-state-codec \(options.lensStateCodec.name) is not carried by shard plans yet; plan with f16 or ingest in one command")
        }
        let fm = FileManager.default
        let target = directory.standardizedFileURL
        if let entries = try? fm.contentsOfDirectory(atPath: target.path) {
            guard entries.isEmpty else { throw IngestError("\(target.path): exists and is not empty; plan into a new directory") }
        } else if fm.fileExists(atPath: target.path) {
            throw IngestError("\(target.path): exists and is not a directory")
        }
        let parent = target.deletingLastPathComponent()
        guard fm.isWritableFile(atPath: parent.path) else { throw IngestError("cannot create \(target.path): \(parent.path) is not a writable directory") }

        let info = try RunIdentity.choose(for: try RunProvenance.runInfo(weights: weights, modelPath: modelPath, tokenizerURL: tokenizerURL,
                                                                         options: options),
                                          among: [], allowNewRun: true, path: target.path).info
        let plan = try self.plan(committed: [], spent: [:], committedPrompts: [], examined: planning)
        let work = plan.documents.map { $0.heldOut ? 0 : $0.tokenCount } + plan.prompts.map(\.tokens.count)
        let ranges = ShardPlan.ranges(work: work, count: count)

        let temporary = parent.appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())")
        try? fm.removeItem(at: temporary)
        do {
            try fm.createDirectory(at: temporary, withIntermediateDirectories: false)
        } catch {
            throw IngestError("cannot create \(temporary.path): \(error.localizedDescription)")
        }
        var completed = false
        defer { if !completed { try? fm.removeItem(at: temporary) } }
        let meter = ProgressMeter(task: "plan", unit: "shards", total: count, report: progress)
        var shards: [ShardPlan] = []
        for (shard, range) in ranges.enumerated() {
            let url = temporary.appendingPathComponent(ShardPlan.planFileName(shard: shard, of: count))
            let file = try PolylensFile.create(url)
            let run = try file.createRun(info)
            if !tokenSets.isEmpty { try file.storeTokenSets(run: run, tokenSets) }
            let documents = try range.clamped(to: 0..<plan.documents.count).map { i -> PlannedDocument in
                let d = plan.documents[i]
                return PlannedDocument(ordinal: i, language: d.document.language, source: d.document.source, itemKey: d.document.itemKey,
                                       sha256: d.key.sha256, bytes: d.document.bytes, heldOut: d.heldOut,
                                       tokenIds: try tokens(of: d).map { Int32($0) })
            }
            let first = plan.documents.count
            let prompts = range.clamped(to: first..<(first + plan.prompts.count)).map { i -> PlannedPrompt in
                let p = plan.prompts[i - first]
                return PlannedPrompt(ordinal: i - first, source: p.source, target: p.target, itemKey: p.itemKey, tokens: p.tokens,
                                     firstPosition: p.firstPosition)
            }
            var row = ShardPlan(planSHA256: "", shard: shard, shardCount: count, shardSHA256: "",
                                tokens: work[range].reduce(0, +), createdAt: Date().ISO8601Format())
            try file.writeShardPlan(row, documents: documents, prompts: prompts)
            row.shardSHA256 = try file.shardContentSHA256()
            try file.close()
            shards.append(row)
            meter.advance(by: 1, detail: url.lastPathComponent)
        }
        let planSHA256 = ShardPlan.planSHA256(shardSHA256s: shards.map(\.shardSHA256))
        for i in shards.indices {
            shards[i].planSHA256 = planSHA256
            let file = try PolylensFile.open(temporary.appendingPathComponent(ShardPlan.planFileName(shard: i, of: count)), readOnly: false)
            try file.sealShardPlan(shardSHA256: shards[i].shardSHA256, planSHA256: planSHA256)
            try file.close()
        }
        if fm.fileExists(atPath: target.path) { try? fm.removeItem(at: target) }
        guard rename(temporary.path, target.path) == 0 else {
            throw IngestError("cannot rename \(temporary.path) to \(target.path): \(String(cString: strerror(errno)))")
        }
        completed = true
        return ShardPlanSummary(directory: target, planSHA256: planSHA256, shards: shards, documents: plan.documents.count,
                                prompts: plan.prompts.count, heldOut: plan.documents.filter(\.heldOut).count)
    }
}
