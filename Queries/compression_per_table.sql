-- Bytes stored per table against the uncompressed tensor bytes (LZ4 ratio), from the blob headers.
WITH blobs(tbl, stored, raw) AS (
              SELECT 'documents', length(token_ids), blob_raw_size(token_ids) FROM documents WHERE token_ids IS NOT NULL
    UNION ALL SELECT 'neuron_stats', length(active) + length(sum) + length(sumsq) + length(max),
                     blob_raw_size(active) + blob_raw_size(sum) + blob_raw_size(sumsq) + blob_raw_size(max) FROM neuron_stats
    UNION ALL SELECT 'language_states', length(sum) + length(sumsq), blob_raw_size(sum) + blob_raw_size(sumsq) FROM language_states
    UNION ALL SELECT 'summaries', length(data), blob_raw_size(data) FROM summaries
    UNION ALL SELECT 'lens_prompts', length(tokens), blob_raw_size(tokens) FROM lens_prompts
    UNION ALL SELECT 'lens_states', length(data), blob_raw_size(data) FROM lens_states
    UNION ALL SELECT 'unembedding', length(final_norm) + length(matrix), blob_raw_size(final_norm) + blob_raw_size(matrix) FROM unembedding
    UNION ALL SELECT 'neuron_set_members', length(layers) + length(neurons), blob_raw_size(layers) + blob_raw_size(neurons) FROM neuron_set_members
)
SELECT tbl AS "table", count(*) AS rows, sum(stored) AS stored_bytes, sum(raw) AS raw_bytes,
       round(CAST(sum(raw) AS REAL) / sum(stored), 3) AS ratio
FROM blobs
GROUP BY tbl
ORDER BY sum(stored) DESC;
