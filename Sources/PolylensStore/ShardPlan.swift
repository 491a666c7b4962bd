import Foundation

/// The `shard_plan` row of a shard plan or result shard (Schema/006_shard_plans.sql, FORMAT.md "Shard plans and result shards").
public struct ShardPlan: Sendable, Equatable {
    /// The whole plan: sha256 over the shard count and every shard's `shardSHA256` (`ShardPlan.planSHA256`).
    public var planSHA256: String
    public var shard: Int
    public var shardCount: Int
    /// This shard's planned content (`PolylensFile.shardContentSHA256`).
    public var shardSHA256: String
    /// Tokens to compute: planned documents not held out, and prompts.
    public var tokens: Int
    public var createdAt: String

    public init(planSHA256: String, shard: Int, shardCount: Int, shardSHA256: String, tokens: Int, createdAt: String) {
        self.planSHA256 = planSHA256; self.shard = shard; self.shardCount = shardCount
        self.shardSHA256 = shardSHA256; self.tokens = tokens; self.createdAt = createdAt
    }

    /// `plan-00003-of-00008.polylens`.
    public static func planFileName(shard: Int, of count: Int) -> String { fileName("plan", shard, count) }
    /// `result-00003-of-00008.polylens`.
    public static func resultFileName(shard: Int, of count: Int) -> String { fileName("result", shard, count) }

    private static func fileName(_ kind: String, _ shard: Int, _ count: Int) -> String {
        "\(kind)-\(String(format: "%05d", shard))-of-\(String(format: "%05d", count)).polylens"
    }

    /// The plan's identity from its shards' content hashes, in shard order.
    public static func planSHA256(shardSHA256s: [String]) -> String {
        ContentHasher.sha256 { h in
            h.field("polylens-shard-plan-1"); h.field(shardSHA256s.count)
            for s in shardSHA256s { h.field(s) }
        }
    }

    /// Contiguous ranges of `work` (tokens to compute per item, in plan order) balanced by tokens: shard i
    /// ends where the running total first reaches (i+1)·total/count; the last takes whatever remains.
    public static func ranges(work: [Int], count: Int) -> [Range<Int>] {
        let total = work.reduce(0, +)
        var ranges: [Range<Int>] = [], start = 0, running = 0, index = 0
        for shard in 0..<count {
            if shard == count - 1 { ranges.append(start..<work.count); break }
            // running · count ≥ (shard+1) · total, in integers.
            while index < work.count, running * count < (shard + 1) * total {
                running += work[index]; index += 1
            }
            ranges.append(start..<index)
            start = index
        }
        return ranges
    }
}

/// A document of a shard plan: what ingest would commit for it, with the exact token ids to run.
public struct PlannedDocument: Sendable, Equatable {
    /// Position among the whole plan's documents.
    public var ordinal: Int
    public var language: String
    public var source: String
    public var itemKey: String?
    public var sha256: String
    public var bytes: Int
    public var heldOut: Bool
    /// BOS first, truncated and budgeted.
    public var tokenIds: [Int32]

    public init(ordinal: Int, language: String, source: String, itemKey: String?, sha256: String, bytes: Int,
                heldOut: Bool, tokenIds: [Int32]) {
        self.ordinal = ordinal; self.language = language; self.source = source; self.itemKey = itemKey
        self.sha256 = sha256; self.bytes = bytes; self.heldOut = heldOut; self.tokenIds = tokenIds
    }
}

/// A logit-lens prompt of a shard plan.
public struct PlannedPrompt: Sendable, Equatable {
    /// Position among the whole plan's prompts.
    public var ordinal: Int
    public var source: String
    public var target: String
    public var itemKey: String
    public var tokens: [Int32]
    public var firstPosition: Int

    public init(ordinal: Int, source: String, target: String, itemKey: String, tokens: [Int32], firstPosition: Int) {
        self.ordinal = ordinal; self.source = source; self.target = target; self.itemKey = itemKey
        self.tokens = tokens; self.firstPosition = firstPosition
    }
}

/// A `shard_results` row: who computed a result shard, on what, how long.
public struct ShardResult: Sendable, Equatable {
    public var planSHA256: String
    public var shard: Int
    public var shardCount: Int
    public var shardSHA256: String
    /// `polylens-swift` or `polylens-torch`.
    public var engine: String
    public var engineVersion: String
    public var device: String
    /// `float32`, `bfloat16` or `float16`.
    public var dtype: String
    /// JSON object: library → version.
    public var librariesJSON: String
    public var tokens: Int
    public var seconds: Double
    public var startedAt: String
    public var finishedAt: String

    public init(plan: ShardPlan, engine: String, engineVersion: String, device: String, dtype: String, librariesJSON: String,
                tokens: Int, seconds: Double, startedAt: String, finishedAt: String) {
        planSHA256 = plan.planSHA256; shard = plan.shard; shardCount = plan.shardCount; shardSHA256 = plan.shardSHA256
        self.engine = engine; self.engineVersion = engineVersion; self.device = device; self.dtype = dtype
        self.librariesJSON = librariesJSON; self.tokens = tokens; self.seconds = seconds
        self.startedAt = startedAt; self.finishedAt = finishedAt
    }
}
