import Foundation
import GRDB

/// Shard plans and result shards (schema version 6): the `shard_plan` row, the planned documents and
/// prompts of one shard, and the `shard_results` rows of whoever executed them.
extension PolylensFile {
    /// Writes the shard row and the shard's planned documents and prompts in one transaction.
    public func writeShardPlan(_ plan: ShardPlan, documents: [PlannedDocument], prompts: [PlannedPrompt]) throws {
        try writing("write the shard plan of") { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM shard_plan") ?? 0 > 0 {
                throw PolylensFileError("\(path): already holds a shard plan")
            }
            try db.execute(sql: """
                INSERT INTO shard_plan (plan_sha256, shard, shard_count, shard_sha256, tokens, created_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [plan.planSHA256, plan.shard, plan.shardCount, plan.shardSHA256, plan.tokens, plan.createdAt])
            for d in documents {
                try db.execute(sql: """
                    INSERT INTO planned_documents (ordinal, language, source, item_key, sha256, bytes, held_out, token_ids)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [d.ordinal, d.language, d.source, d.itemKey, d.sha256, d.bytes, d.heldOut,
                                     BlobCodec.encode(d.tokenIds, filter: .shuffle)])
            }
            for p in prompts {
                try db.execute(sql: """
                    INSERT INTO planned_prompts (ordinal, source, target, item_key, tokens, first_position) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [p.ordinal, p.source, p.target, p.itemKey, BlobCodec.encode(p.tokens, filter: .shuffle), p.firstPosition])
            }
        }
    }

    /// Seals a plan file once every shard's content hash is known: its content hash and the whole plan's.
    public func sealShardPlan(shardSHA256: String, planSHA256: String) throws {
        try writing("seal the shard plan of") { db in
            try db.execute(sql: "UPDATE shard_plan SET shard_sha256 = ?, plan_sha256 = ?", arguments: [shardSHA256, planSHA256])
        }
    }

    /// The shard this file plans or holds the result of; nil for an ordinary file (or one before schema 6).
    public func shardPlan() throws -> ShardPlan? {
        try guarded("read the shard plan of") { db in
            guard try db.tableExists("shard_plan") else { return nil }
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM shard_plan").map { StoredRow($0, of: "shard_plan") }
            guard let r = rows.first else { return nil }
            guard rows.count == 1 else { throw PolylensFileError("\(path): holds \(rows.count) shard_plan rows, a shard has one") }
            return try ShardPlan(planSHA256: r["plan_sha256"], shard: r["shard"], shardCount: r["shard_count"],
                             shardSHA256: r["shard_sha256"], tokens: r["tokens"], createdAt: r["created_at"])
        }
    }

    /// The planned documents in plan order.
    public func plannedDocuments() throws -> [PlannedDocument] {
        try guarded("read the planned documents of") { db in
            guard try db.tableExists("planned_documents") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM planned_documents ORDER BY ordinal")
                .map { StoredRow($0, of: "planned_documents") }.map { r in
                let ordinal: Int = try r["ordinal"]
                return try PlannedDocument(ordinal: ordinal, language: r["language"], source: r["source"], itemKey: r["item_key"],
                                       sha256: r["sha256"], bytes: r["bytes"], heldOut: r["held_out"],
                                       tokenIds: decode(r.raw("token_ids"), "planned_documents(\(ordinal)).token_ids").int32s())
            }
        }
    }

    /// The planned lens prompts in plan order.
    public func plannedPrompts() throws -> [PlannedPrompt] {
        try guarded("read the planned prompts of") { db in
            guard try db.tableExists("planned_prompts") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM planned_prompts ORDER BY ordinal")
                .map { StoredRow($0, of: "planned_prompts") }.map { r in
                let ordinal: Int = try r["ordinal"]
                return try PlannedPrompt(ordinal: ordinal, source: r["source"], target: r["target"], itemKey: r["item_key"],
                                     tokens: decode(r.raw("tokens"), "planned_prompts(\(ordinal)).tokens").int32s(),
                                     firstPosition: r["first_position"])
            }
        }
    }

    public func addShardResult(_ r: ShardResult) throws {
        try writing("record the shard result in") { db in try insert(r, db) }
    }

    /// The `shard_results` rows: one in a result shard, one per combined shard in a combined file.
    public func shardResults() throws -> [ShardResult] {
        try guarded("read the shard results of") { db in
            guard try db.tableExists("shard_results") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT * FROM shard_results ORDER BY rowid").map { try shardResult(StoredRow($0, of: "shard_results")) }
        }
    }

    /// SHA-256 of the planned content of this file's shard, as read back from the file: the run row (model,
    /// tokenizer, architecture, parameters), its token sets, the shard row's shard, count and tokens, and every
    /// planned document and prompt. Timestamps and the hashes themselves are left out.
    public func shardContentSHA256() throws -> String {
        guard let plan = try shardPlan() else { throw PolylensFileError("\(path): not a shard plan (no shard_plan row)") }
        let runs = try self.runs()
        guard runs.count == 1, let run = runs.first else { throw PolylensFileError("\(path): a shard plan holds one run, this file holds \(runs.count)") }
        let sets = try tokenSets(run: run.id), documents = try plannedDocuments(), prompts = try plannedPrompts()
        return ContentHasher.sha256 { h in
            h.field("polylens-shard-1")
            for s in [run.info.modelSHA256, run.info.tokenizerSHA256, run.info.architectureJSON, run.info.parametersJSON] { h.field(s) }
            h.field(sets.count)
            for s in sets { h.field(s.name); h.field(s.kind); h.field(s.language); h.field(s.source); h.field(s.ids) }
            h.field(plan.shard); h.field(plan.shardCount); h.field(plan.tokens)
            h.field(documents.count)
            for d in documents {
                h.field(d.ordinal); h.field(d.language); h.field(d.source); h.field(d.itemKey); h.field(d.sha256)
                h.field(d.bytes); h.field(d.heldOut ? 1 : 0); h.field(d.tokenIds)
            }
            h.field(prompts.count)
            for p in prompts {
                h.field(p.ordinal); h.field(p.source); h.field(p.target); h.field(p.itemKey); h.field(p.firstPosition); h.field(p.tokens)
            }
        }
    }

    /// SQLite's `PRAGMA quick_check`: a truncated or damaged file fails here rather than halfway through a merge.
    public func quickCheck() throws {
        let problems = try guarded("check") { db in try String.fetchAll(db, sql: "PRAGMA quick_check") }
        guard problems == ["ok"] else {
            throw PolylensFileError("\(path): damaged or truncated (\(problems.prefix(2).joined(separator: "; ")))")
        }
    }

    /// The documents a run holds in id order, as their planned form (ordinal = position), token ids of held-out ones only.
    public func documentsInOrder(run: Int64) throws -> [DocumentInfo] {
        try guarded("read the documents of") { db in
            try Row.fetchAll(db, sql: "SELECT * FROM documents WHERE run_id = ? ORDER BY id", arguments: [run])
                .map { StoredRow($0, of: "documents") }.map { r in
                let id: Int64 = try r["id"]
                let ids = r.raw("token_ids")
                return try DocumentInfo(language: r["language"], source: r["source"], itemKey: r["item_key"], sha256: r["sha256"],
                                    bytes: r["bytes"], tokens: r["tokens"], heldOut: r["held_out"],
                                    tokenIds: ids.isNull ? nil : try decode(ids, "documents(\(id)).token_ids").int32s())
            }
        }
    }

    func insert(_ r: ShardResult, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO shard_results (plan_sha256, shard, shard_count, shard_sha256, engine, engine_version, device, dtype,
                                       libraries_json, tokens, seconds, started_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [r.planSHA256, r.shard, r.shardCount, r.shardSHA256, r.engine, r.engineVersion, r.device, r.dtype,
                             r.librariesJSON, r.tokens, r.seconds, r.startedAt, r.finishedAt])
    }

    func shardResult(_ r: StoredRow) throws -> ShardResult {
        try ShardResult(plan: ShardPlan(planSHA256: r["plan_sha256"], shard: r["shard"], shardCount: r["shard_count"],
                                                 shardSHA256: r["shard_sha256"], tokens: 0, createdAt: ""),
                                 engine: r["engine"], engineVersion: r["engine_version"], device: r["device"], dtype: r["dtype"],
                                 librariesJSON: r["libraries_json"], tokens: r["tokens"], seconds: r["seconds"],
                    startedAt: r["started_at"], finishedAt: r["finished_at"])
    }
}

extension PolylensFile {
    /// The SQLite library's version (a result shard records it).
    public func sqliteVersion() throws -> String {
        try guarded("read") { db in try String.fetchOne(db, sql: "SELECT sqlite_version()") ?? "" }
    }
}
