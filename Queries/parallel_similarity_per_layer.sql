-- MEXA-style alignment at a glance: per pair of languages and layer, the mean cosine between the
-- weighted-mean summaries of the same parallel item.
-- Fast on large files: the pairs are found through an index on item_key (a MATERIALIZED CTE gets SQLite's
-- automatic index), CROSS JOIN keeps the pairs as the outer loop, and blob_cosines decodes each pair's two
-- summaries once for all layers.
WITH parallel AS MATERIALIZED (
    SELECT run_id AS run, language, item_key, id FROM documents WHERE item_key IS NOT NULL
),
pairs AS MATERIALIZED (
    SELECT a.run, a.language AS language_a, b.language AS language_b, a.id AS id_a, b.id AS id_b
    FROM parallel a JOIN parallel b ON b.run = a.run AND b.item_key = a.item_key AND a.language < b.language
)
SELECT p.run, p.language_a, p.language_b, j.key AS layer, count(*) AS items, avg(j.value) AS mean_cosine
FROM pairs p
CROSS JOIN summaries sa ON sa.document_id = p.id_a AND sa.pooling = 'weighted'
CROSS JOIN summaries sb ON sb.document_id = p.id_b AND sb.pooling = 'weighted'
CROSS JOIN json_each(blob_cosines(sa.data, sb.data)) j
GROUP BY p.run, p.language_a, p.language_b, j.key
ORDER BY p.run, p.language_a, p.language_b, j.key;
