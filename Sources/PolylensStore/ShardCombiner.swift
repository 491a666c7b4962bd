import Foundation
import PolylensModel

/// What `combine` wrote.
public struct CombineSummary: Sendable {
    public var output: URL
    public var planSHA256: String
    public var merged: MergeSummary
    public var results: [ShardResult]
}

/// `polylens combine`: checks every result shard of a plan against its plan file, then merges them in shard
/// order into a new file (FORMAT.md, "Combining"). Every check runs before anything is written, and the output
/// is a temporary file renamed into place: a refusal leaves nothing behind.
public enum ShardCombiner {
    public static func combine(planDirectory: URL, resultDirectory: URL, output: URL, allowMixedEngines: Bool = false,
                               progress: ((WorkProgress) -> Void)? = nil) throws -> CombineSummary {
        let fm = FileManager.default
        if fm.fileExists(atPath: output.path) { throw PolylensFileError("\(output.path): exists; combine writes a new file") }
        let plans = try planFiles(in: planDirectory)
        let count = plans.count
        var planSHA256: String?
        var results: [URL] = [], records: [ShardResult] = []
        for (shard, planURL) in plans.enumerated() {
            let plan = try PolylensFile.open(planURL)
            guard let row = try plan.shardPlan() else { throw PolylensFileError("\(planURL.path): not a shard plan (no shard_plan row)") }
            guard row.shard == shard, row.shardCount == count else {
                throw PolylensFileError("\(planURL.path): holds shard \(row.shard) of \(row.shardCount), not \(shard) of \(count)")
            }
            guard try plan.shardContentSHA256() == row.shardSHA256 else {
                throw PolylensFileError("\(planURL.path): edited after planning (its content no longer hashes to its shard_sha256 \(row.shardSHA256.prefix(12))…)")
            }
            if let p = planSHA256, p != row.planSHA256 {
                throw PolylensFileError("\(planURL.path): belongs to plan \(row.planSHA256.prefix(12))…, shard 0 to \(p.prefix(12))…")
            }
            planSHA256 = row.planSHA256
            let url = resultDirectory.appendingPathComponent(ShardPlan.resultFileName(shard: shard, of: count))
            guard fm.fileExists(atPath: url.path) else { throw PolylensFileError("\(url.path): missing (shard \(shard) of \(count) has no result)") }
            let result = try PolylensFile.open(url)
            try result.quickCheck()
            records.append(try check(result, against: plan, row: row))
            results.append(url)
            try result.close(); try plan.close()
        }
        guard let planSHA256 else { throw PolylensFileError("\(planDirectory.path): holds no plan-*-of-*.polylens files") }
        if !allowMixedEngines, let first = records.first,
           let other = records.first(where: { $0.engine != first.engine || $0.dtype != first.dtype }) {
            throw PolylensFileError("\(resultDirectory.path): shard \(other.shard) was computed by \(other.engine) in \(other.dtype), shard \(first.shard) by \(first.engine) in \(first.dtype); give --allow-mixed-engines to combine them")
        }

        let temporary = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).partial-\(getpid())")
        try? fm.removeItem(at: temporary)
        var completed = false
        defer { if !completed { for suffix in ["", "-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: temporary.path + suffix) } } }
        let merged = try PolylensFile.merge(into: temporary, from: results, progress: progress)
        guard rename(temporary.path, output.path) == 0 else {
            throw PolylensFileError("cannot rename \(temporary.path) to \(output.path): \(String(cString: strerror(errno)))")
        }
        completed = true
        return CombineSummary(output: output, planSHA256: planSHA256, merged: merged, results: records)
    }

    /// PLANDIR's `plan-*-of-N.polylens`, one per shard 0…N−1 (all naming the same N).
    static func planFiles(in directory: URL) throws -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw PolylensFileError("\(directory.path): not a readable plan directory")
        }
        let plans = names.filter { $0.hasPrefix("plan-") && $0.hasSuffix(".polylens") }.sorted()
        guard let last = plans.last, let count = Int(last.dropLast(".polylens".count).suffix(5)), count == plans.count else {
            throw PolylensFileError("\(directory.path): holds \(plans.count) plan files, not one per shard of a plan")
        }
        return try (0..<count).map { shard in
            let name = ShardPlan.planFileName(shard: shard, of: count)
            guard plans.contains(name) else { throw PolylensFileError("\(directory.path): \(name) is missing") }
            return directory.appendingPathComponent(name)
        }
    }

    /// The result's one `shard_results` row, once the result is shown to be its plan's shard, computed as planned.
    static func check(_ result: PolylensFile, against plan: PolylensFile, row: ShardPlan) throws -> ShardResult {
        let path = result.path
        guard let resultRow = try result.shardPlan() else { throw PolylensFileError("\(path): not a result shard (no shard_plan row)") }
        guard resultRow.planSHA256 == row.planSHA256 else {
            throw PolylensFileError("\(path): a result of another plan (\(resultRow.planSHA256.prefix(12))…, this plan is \(row.planSHA256.prefix(12))…)")
        }
        guard resultRow.shard == row.shard, resultRow.shardCount == row.shardCount, resultRow.shardSHA256 == row.shardSHA256 else {
            throw PolylensFileError("\(path): holds shard \(resultRow.shard) of \(resultRow.shardCount), not \(row.shard) of \(row.shardCount) (a duplicated shard?)")
        }
        let records = try result.shardResults()
        guard records.count == 1, let record = records.first else {
            throw PolylensFileError("\(path): holds \(records.count) shard_results rows; a result shard has one (unfinished or already combined?)")
        }
        guard record.planSHA256 == row.planSHA256, record.shard == row.shard, record.shardSHA256 == row.shardSHA256 else {
            throw PolylensFileError("\(path): its shard_results row names another plan or shard")
        }
        let planRuns = try plan.runs(), resultRuns = try result.runs()
        guard resultRuns.count == 1, let run = resultRuns.first, let planned = planRuns.first else {
            throw PolylensFileError("\(path): holds \(resultRuns.count) runs; a result shard holds its plan's one run")
        }
        let differences = [
            run.info.modelSHA256 != planned.info.modelSHA256 ? "model sha256 \(run.info.modelSHA256.prefix(12))…, planned \(planned.info.modelSHA256.prefix(12))…" : nil,
            run.info.tokenizerSHA256 != planned.info.tokenizerSHA256 ? "tokenizer sha256 \(run.info.tokenizerSHA256.prefix(12))…" : nil,
            run.info.architectureJSON != planned.info.architectureJSON ? "architecture \(run.info.architectureJSON)" : nil,
            run.info.parametersJSON != planned.info.parametersJSON ? "parameters \(run.info.parametersJSON)" : nil,
        ].compactMap { $0 }
        if !differences.isEmpty {
            throw PolylensFileError("\(path): its run differs from the plan's (\(differences.joined(separator: "; ")))")
        }
        try checkComputedAsPlanned(result, run: run.id, plan: plan)
        return record
    }

    /// The result's documents and prompts are the planned ones, in plan order.
    static func checkComputedAsPlanned(_ result: PolylensFile, run: Int64, plan: PolylensFile) throws {
        let path = result.path
        let documents = try result.documentsInOrder(run: run), planned = try plan.plannedDocuments()
        guard documents.count == planned.count else {
            throw PolylensFileError("\(path): holds \(documents.count) documents, its plan \(planned.count)")
        }
        for (d, p) in zip(documents, planned) {
            let same = d.language == p.language && d.source == p.source && d.itemKey == p.itemKey && d.sha256 == p.sha256
                && d.bytes == p.bytes && d.heldOut == p.heldOut && d.tokens == p.tokenIds.count
                && (!p.heldOut || d.tokenIds == p.tokenIds)
            guard same else {
                throw PolylensFileError("\(path): document \(d.source) (\(d.language)) differs from planned document \(p.ordinal) (\(p.source))")
            }
        }
        let prompts = try result.lensPrompts(run: run), plannedPrompts = try plan.plannedPrompts()
        guard prompts.count == plannedPrompts.count else {
            throw PolylensFileError("\(path): holds \(prompts.count) lens prompts, its plan \(plannedPrompts.count)")
        }
        for (q, p) in zip(prompts, plannedPrompts) {
            guard q.source == p.source, q.target == p.target, q.itemKey == p.itemKey, q.tokens == p.tokens, q.firstPosition == p.firstPosition else {
                throw PolylensFileError("\(path): lens prompt \(q.source)→\(q.target) \(q.itemKey) differs from planned prompt \(p.ordinal)")
            }
        }
    }
}
