-- Polylens file, schema version 1. Every tensor column holds a blob in the encoding of FORMAT.md.
-- All tables keep rowids: WITHOUT ROWID tables spill rows over ~1 KB into overflow pages and wasted
-- more than half of the file on 2 KB summaries.
PRAGMA application_id = 1347178067; -- 0x504C4E53, "PLNS"

-- One ingest configuration: a model, a tokenizer and the ingest parameters. Resuming an ingest
-- with the same model and parameters continues the same run.
CREATE TABLE runs (
    id                INTEGER PRIMARY KEY,
    model_path        TEXT NOT NULL,
    model_format      TEXT NOT NULL,
    model_sha256      TEXT NOT NULL,
    tokenizer_path    TEXT NOT NULL,
    tokenizer_sha256  TEXT NOT NULL,
    architecture_json TEXT NOT NULL,
    parameters_json   TEXT NOT NULL,
    polylens_version  TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

-- Every document whose tokens a run counted (or held out). Parallel snippets are documents with
-- an item_key; the same text may appear under several languages and items.
CREATE TABLE documents (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    language   TEXT NOT NULL,
    source     TEXT NOT NULL,
    item_key   TEXT,
    sha256     TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    tokens     INTEGER NOT NULL,
    held_out   INTEGER NOT NULL CHECK (held_out IN (0, 1)),
    token_ids  BLOB,             -- i32 [tokens], held-out documents only
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX documents_identity ON documents(run_id, language, sha256, ifnull(item_key, ''));

-- Neuron statistics per (run, language, layer): one blob per statistic, one element per MLP neuron.
CREATE TABLE neuron_stats (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    layer    INTEGER NOT NULL,
    tokens   INTEGER NOT NULL,   -- n: tokens counted, BOS included
    neurons  INTEGER NOT NULL,
    active   BLOB NOT NULL,      -- i64 [neurons]: count of a > 0
    sum      BLOB NOT NULL,      -- f64 [neurons]: sum of a
    sumsq    BLOB NOT NULL,      -- f64 [neurons]: sum of a²
    max      BLOB NOT NULL,      -- f32 [neurons]: maximum of a, -inf where no token was seen
    PRIMARY KEY (run_id, language, layer)
);

-- Pooled hidden states of one document: f16 [layers, dim], layer 0 = embeddings.
CREATE TABLE summaries (
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    pooling     TEXT NOT NULL CHECK (pooling IN ('weighted', 'mean', 'last')),
    layers      INTEGER NOT NULL,
    dim         INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (document_id, pooling)
);

-- Few-shot translation prompts for the logit lens.
CREATE TABLE lens_prompts (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    source         TEXT NOT NULL,
    target         TEXT NOT NULL,
    item_key       TEXT NOT NULL,
    tokens         BLOB NOT NULL, -- i32 [token count], BOS first
    first_position INTEGER NOT NULL,
    layers         INTEGER NOT NULL,
    dim            INTEGER NOT NULL,
    UNIQUE (run_id, source, target, item_key)
);

-- Residual stream of one prompt at one layer: f16 [positions, dim] for positions
-- first_position ..< token count - 1.
CREATE TABLE lens_states (
    prompt_id INTEGER NOT NULL REFERENCES lens_prompts(id) ON DELETE CASCADE,
    layer     INTEGER NOT NULL,
    data      BLOB NOT NULL,
    PRIMARY KEY (prompt_id, layer)
);

-- The model's final norm and unembedding, so the lens needs no model file.
CREATE TABLE unembedding (
    run_id     INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    vocab      INTEGER NOT NULL,
    dim        INTEGER NOT NULL,
    final_norm BLOB NOT NULL,    -- f32 [dim]
    matrix     BLOB NOT NULL     -- f16 [vocab, dim]
);

-- Named neuron selections (LAPE), one row per (set, language).
CREATE TABLE neuron_sets (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    parameters_json TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    UNIQUE (run_id, name)
);
CREATE TABLE neuron_set_members (
    set_id   INTEGER NOT NULL REFERENCES neuron_sets(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    layers   BLOB NOT NULL,      -- i32 [count]
    neurons  BLOB NOT NULL,      -- i32 [count], pairs with layers
    PRIMARY KEY (set_id, language)
);

-- Perplexity change when a neuron set is ablated.
CREATE TABLE ablation_results (
    id               INTEGER PRIMARY KEY,
    run_id           INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    set_name         TEXT NOT NULL,
    control          INTEGER NOT NULL CHECK (control IN (0, 1)),
    control_seed     INTEGER,
    ablated_language TEXT NOT NULL,
    eval_language    TEXT NOT NULL,
    tokens           INTEGER NOT NULL,
    nll_before       REAL NOT NULL,  -- mean negative log-likelihood per predicted token, nats
    nll_after        REAL NOT NULL,
    created_at       TEXT NOT NULL
);
