-- Polylens file, schema version 2: paper-scale files (issue 9).
-- Blob codec v2 needs no SQL: header byte 6 names a filter (1 = byte shuffle) and dtype 6 is q8_0 (FORMAT.md).
-- Corpus documents no longer get summaries by default; the summaries table is unchanged.

-- Hidden-state summary of a language: per (run, language, layer) the sums of the residual stream and of its
-- square over the language's counted tokens, in float64 so they add exactly on resume and merge.
-- mean = sum / tokens (the language centroid); variance = sumsq / tokens - mean².
CREATE TABLE language_states (
    run_id   INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    language TEXT NOT NULL,
    layer    INTEGER NOT NULL,   -- 0 = embeddings … L, as summaries' rows
    tokens   INTEGER NOT NULL,   -- tokens counted (BOS included)
    dim      INTEGER NOT NULL,
    sum      BLOB NOT NULL,      -- f64 [dim]: Σ h over the counted tokens
    sumsq    BLOB NOT NULL,      -- f64 [dim]: Σ h²
    PRIMARY KEY (run_id, language, layer));
