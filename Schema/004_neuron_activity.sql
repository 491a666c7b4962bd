-- What makes a neuron fire (issue 12): activation histograms and top-activating contexts per MLP neuron,
-- a = SiLU(gate_proj · x) as LAPE counts it. Both are columnar (one blob per run, language, layer) and
-- mergeable: histograms add, contexts keep the k best of the union in a stated order (FORMAT.md).

-- Per (run, language, layer): a fixed-bin histogram of a for every neuron over the counted tokens.
-- The 40 bins are fixed by the format (FORMAT.md "Activation histograms"); counts add across batches,
-- resumed ingests and merged shards, and every neuron's counts sum to neuron_stats.tokens.
CREATE TABLE activation_histograms (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    layer    INTEGER NOT NULL,
    neurons  INTEGER NOT NULL,
    bins     INTEGER NOT NULL,   -- 40
    counts   BLOB NOT NULL,      -- i32 [neurons, bins]
    PRIMARY KEY (run_id, language, layer)
);

-- Per (run, scope, layer): the k largest activations of every neuron, best first, each with its document,
-- position and a window of token ids around it. scope '*' = over all languages; otherwise one language.
-- Unused slots (fewer than k tokens seen) have value NaN, document 0, position -1 and tokens -1.
CREATE TABLE neuron_contexts (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    scope    TEXT NOT NULL,
    layer    INTEGER NOT NULL,
    neurons  INTEGER NOT NULL,
    k        INTEGER NOT NULL,
    before   INTEGER NOT NULL,   -- tokens kept before the firing token
    after    INTEGER NOT NULL,   -- tokens kept after it
    value    BLOB NOT NULL,      -- f32 [neurons, k]
    document BLOB NOT NULL,      -- i64 [neurons, k]: documents.id
    position BLOB NOT NULL,      -- i32 [neurons, k]: 0-based, BOS = 0
    tokens   BLOB NOT NULL,      -- i32 [neurons, k, before + 1 + after]; -1 outside the document
    PRIMARY KEY (run_id, scope, layer)
);
