-- Polylens file, schema version 5: results with names and provenance (issue 10, items 3 and 4).
-- Files of earlier versions keep working: their sets have no content hash and their ablation rows no
-- ablation run (shown as "no recorded provenance"); read-only opening reads them as they are.

-- A set's identity is its name and the sha256 of its members (FORMAT.md, "Neuron set content hash");
-- NULL for sets saved before version 5.
ALTER TABLE neuron_sets ADD COLUMN content_sha256 TEXT;

-- One `polylens ablate`: the set it zeroed as it was then (name, content hash, selection parameters,
-- copied so that replacing or deleting the set later cannot change what this result says) and its own
-- settings (evaluation budget, control seeds, model, method).
CREATE TABLE ablation_runs (
    id                  INTEGER PRIMARY KEY,
    run_id              INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    set_name            TEXT NOT NULL,
    set_sha256          TEXT NOT NULL,
    set_parameters_json TEXT NOT NULL,
    parameters_json     TEXT NOT NULL,
    created_at          TEXT NOT NULL
);

-- The per-language rows of an ablation run; NULL for rows written before version 5.
ALTER TABLE ablation_results ADD COLUMN ablation_id INTEGER REFERENCES ablation_runs(id) ON DELETE CASCADE;
CREATE INDEX ablation_results_by_ablation ON ablation_results(ablation_id);

-- NLL of every evaluated held-out document before and after zeroing one language's set (control_seed
-- NULL) or one random control (its seed): the units the intervals resample.
CREATE TABLE ablation_documents (
    ablation_id      INTEGER NOT NULL REFERENCES ablation_runs(id) ON DELETE CASCADE,
    ablated_language TEXT NOT NULL,
    control_seed     INTEGER,
    document_id      INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    tokens           INTEGER NOT NULL,  -- predicted tokens of the document that were evaluated
    nll_before       REAL NOT NULL,     -- mean negative log-likelihood per predicted token, nats
    nll_after        REAL NOT NULL
);
CREATE UNIQUE INDEX ablation_documents_identity
    ON ablation_documents(ablation_id, ablated_language, ifnull(control_seed, -1), document_id);
CREATE INDEX ablation_documents_by_document ON ablation_documents(document_id);
