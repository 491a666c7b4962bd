-- MEXA-style alignment at a glance: per pair of languages and layer, the mean cosine between the
-- weighted-mean summaries of the same parallel item.
WITH pairs AS (
    SELECT a.run_id AS run, a.language AS language_a, b.language AS language_b,
           sa.data AS data_a, sb.data AS data_b, sa.layers
    FROM documents a
    JOIN documents b ON b.run_id = a.run_id AND b.item_key = a.item_key AND a.language < b.language
    JOIN summaries sa ON sa.document_id = a.id AND sa.pooling = 'weighted'
    JOIN summaries sb ON sb.document_id = b.id AND sb.pooling = 'weighted'
),
layers(layer) AS (
    SELECT 0 UNION ALL SELECT layer + 1 FROM layers WHERE layer + 1 < (SELECT ifnull(max(layers), 0) FROM summaries)
)
SELECT run, language_a, language_b, layer, count(*) AS items,
       avg(blob_cosine(data_a, data_b, layer)) AS mean_cosine
FROM pairs JOIN layers ON layers.layer < pairs.layers
GROUP BY run, language_a, language_b, layer
ORDER BY run, language_a, language_b, layer;
