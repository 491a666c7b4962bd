-- Polylens file, schema version 6: shard plans and result shards (issue 13, FORMAT.md "Shard plans and
-- result shards"). A shard plan is a Polylens file holding one run, its token sets, one shard_plan row and
-- the planned documents and prompts of its shard; an executor (polylens execute, or the Python worker) adds
-- every row ingest writes for them and one shard_results row; `polylens combine` merges the results.
-- Files of earlier versions have none of these tables and read as before.

-- The shard this plan file describes (exactly one row in a plan or a result shard; none elsewhere).
CREATE TABLE shard_plan (
    plan_sha256  TEXT NOT NULL,     -- the whole plan: sha256 over the shard count and every shard's shard_sha256
    shard        INTEGER NOT NULL,  -- 0-based
    shard_count  INTEGER NOT NULL,
    shard_sha256 TEXT NOT NULL,     -- this shard's planned content (computed and checked by Swift only)
    tokens       INTEGER NOT NULL,  -- tokens to compute: planned documents not held out, and prompts
    created_at   TEXT NOT NULL
);

-- The documents of this shard, in the whole plan's order. token_ids: i32 [tokens], BOS first, already
-- truncated and budgeted: the executor runs exactly these ids (held-out ones are stored, not run).
CREATE TABLE planned_documents (
    ordinal   INTEGER PRIMARY KEY,  -- position among the whole plan's documents
    language  TEXT NOT NULL,
    source    TEXT NOT NULL,
    item_key  TEXT,                 -- NULL for corpus documents
    sha256    TEXT NOT NULL,
    bytes     INTEGER NOT NULL,
    held_out  INTEGER NOT NULL,     -- 0/1
    token_ids BLOB NOT NULL
);

-- The logit-lens prompts of this shard, in the whole plan's order (after every document).
CREATE TABLE planned_prompts (
    ordinal        INTEGER PRIMARY KEY,  -- position among the whole plan's prompts
    source         TEXT NOT NULL,
    target         TEXT NOT NULL,
    item_key       TEXT NOT NULL,
    tokens         BLOB NOT NULL,        -- i32, BOS first
    first_position INTEGER NOT NULL
);

-- Who computed a result shard, how and how long: one row in a result shard, one per shard combined.
CREATE TABLE shard_results (
    plan_sha256    TEXT NOT NULL,
    shard          INTEGER NOT NULL,
    shard_count    INTEGER NOT NULL,
    shard_sha256   TEXT NOT NULL,
    engine         TEXT NOT NULL,    -- 'polylens-swift' | 'polylens-torch'
    engine_version TEXT NOT NULL,
    device         TEXT NOT NULL,    -- e.g. 'cpu', 'cuda:NVIDIA H200'
    dtype          TEXT NOT NULL,    -- 'float32' | 'bfloat16' | 'float16'
    libraries_json TEXT NOT NULL,    -- JSON object: library → version
    tokens         INTEGER NOT NULL, -- tokens through the model
    seconds        REAL NOT NULL,
    started_at     TEXT NOT NULL,
    finished_at    TEXT NOT NULL
);
