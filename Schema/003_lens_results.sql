-- Schema version 3: the logit lens computed at ingest. Older files gain the two tables empty; their
-- lens_states (and unembedding) keep serving the lens as before.

-- The token sets whose probability mass the lens follows, per run, with the rule and files that made
-- them, so a reader can audit exactly which tokens were counted.
CREATE TABLE token_sets (
    id        INTEGER PRIMARY KEY,
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    ordinal   INTEGER NOT NULL,   -- index along the last axis of lens_results.set_mass
    name      TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('english', 'keywords')),
    language  TEXT,               -- the programming language of a keywords set
    source    TEXT NOT NULL,      -- the rule and the files read
    count     INTEGER NOT NULL,
    token_ids BLOB NOT NULL,      -- i32 [count], sorted, distinct
    UNIQUE (run_id, ordinal),
    UNIQUE (run_id, name)
);

-- What the logit lens read for one prompt: every layer (0 = embeddings) × every position that predicts
-- the target snippet (first_position ... token count - 2 of lens_prompts), columnar.
CREATE TABLE lens_results (
    prompt_id           INTEGER PRIMARY KEY REFERENCES lens_prompts(id) ON DELETE CASCADE,
    layers              INTEGER NOT NULL,
    positions           INTEGER NOT NULL,
    top_k               INTEGER NOT NULL,
    sets                INTEGER NOT NULL, -- token sets of the run, in ordinal order
    top_ids             BLOB NOT NULL,    -- i32 [layers, positions, top_k], most probable first
    top_probabilities   BLOB NOT NULL,    -- f32 [layers, positions, top_k]
    correct_probability BLOB NOT NULL,    -- f32 [layers, positions]
    correct_rank        BLOB NOT NULL,    -- i32 [layers, positions], 1 = most probable
    entropy             BLOB NOT NULL,    -- f32 [layers, positions], nats
    set_mass            BLOB NOT NULL     -- f32 [layers, positions, sets]
);
