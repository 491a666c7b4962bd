import Foundation
import GRDB

/// What `polylens info` shows of a shard plan, a result shard or a combined file (schema version 6).
public struct ShardInfo: Codable, Sendable {
    public var planSHA256: String
    public var shard: Int
    public var shardCount: Int
    public var shardSHA256: String
    public var tokens: Int
    public var plannedDocuments: Int
    public var plannedPrompts: Int

    /// One `shard_results` row.
    public struct Execution: Codable, Sendable {
        public var shard: Int
        public var shardCount: Int
        public var engine: String
        public var engineVersion: String
        public var device: String
        public var dtype: String
        public var libraries: String
        public var tokens: Int
        public var seconds: Double
        public var finishedAt: String
    }
}

extension PolylensFile {
    func addShards(to info: inout FileInfo, _ db: Database) throws {
        if try db.tableExists("shard_plan"),
           let r = try Row.fetchOne(db, sql: "SELECT * FROM shard_plan LIMIT 1").map({ StoredRow($0, of: "shard_plan") }) {
            info.shard = try ShardInfo(planSHA256: r["plan_sha256"], shard: r["shard"], shardCount: r["shard_count"], shardSHA256: r["shard_sha256"],
                                   tokens: r["tokens"],
                                   plannedDocuments: try Int.fetchOne(db, sql: "SELECT count(*) FROM planned_documents") ?? 0,
                                   plannedPrompts: try Int.fetchOne(db, sql: "SELECT count(*) FROM planned_prompts") ?? 0)
        }
        guard try db.tableExists("shard_results") else { return }
        info.shardResults = try Row.fetchAll(db, sql: "SELECT * FROM shard_results ORDER BY rowid").map { row in
            let r = try shardResult(StoredRow(row, of: "shard_results"))
            return ShardInfo.Execution(shard: r.shard, shardCount: r.shardCount, engine: r.engine, engineVersion: r.engineVersion,
                                       device: r.device, dtype: r.dtype, libraries: r.librariesJSON, tokens: r.tokens,
                                       seconds: r.seconds, finishedAt: r.finishedAt)
        }
    }

    /// `verify` of a shard plan or result shard: its planned content still hashes to its shard_sha256, and it
    /// holds at most one `shard_results` row.
    func shardProblems() throws -> [String] {
        guard let plan = try shardPlan() else { return [] }
        var problems: [String] = []
        if try shardContentSHA256() != plan.shardSHA256 {
            problems.append("shard_plan: the planned content no longer hashes to shard_sha256 \(plan.shardSHA256.prefix(12))… (edited after planning)")
        }
        let results = try shardResults().count
        if results > 1 { problems.append("shard_results: \(results) rows in a shard, which has at most one") }
        return problems
    }
}
