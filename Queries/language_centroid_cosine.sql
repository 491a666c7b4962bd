-- Language centroids (the mean residual stream over each language's counted tokens, table language_states):
-- per pair of languages and layer, the cosine between the two centroids.
-- The cosine of the sums equals the cosine of the means (both are positive multiples).
SELECT a.run_id AS run, a.layer, a.language AS language_a, b.language AS language_b,
       a.tokens AS tokens_a, b.tokens AS tokens_b,
       blob_cosine(a.sum, b.sum) AS centroid_cosine
FROM language_states a
JOIN language_states b ON b.run_id = a.run_id AND b.layer = a.layer AND a.language < b.language
ORDER BY run, a.layer, language_a, language_b;
