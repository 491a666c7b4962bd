-- The five most language-selective neurons per layer: LAPE's entropy of the activation probabilities
-- normalised over languages (METHODS.md §3), lowest first, with the language that fires most.
WITH normalised AS (
    SELECT run, layer, neuron, language, p_active,
           p_active / sum(p_active) OVER (PARTITION BY run, layer, neuron) AS q
    FROM neuron_rows
),
entropy AS (
    SELECT run, layer, neuron,
           language        AS top_language,  -- the row of max(p_active) (SQLite's bare-column rule)
           max(p_active)   AS top_p_active,
           -sum(CASE WHEN q > 0 THEN q * ln(q) ELSE 0 END) AS entropy
    FROM normalised
    GROUP BY run, layer, neuron
    HAVING sum(p_active) > 0
),
ranked AS (
    SELECT *, row_number() OVER (PARTITION BY run, layer ORDER BY entropy, neuron) AS rank
    FROM entropy
)
SELECT run, layer, rank, neuron, top_language, top_p_active, entropy
FROM ranked
WHERE rank <= 5
ORDER BY run, layer, rank;
