-- Shared neurons: per layer, the neurons that fire on more than half of the tokens of every language.
WITH language_count AS (
    SELECT run_id AS run, count(DISTINCT language) AS languages FROM neuron_stats GROUP BY run_id
),
shared AS (
    SELECT r.run, r.layer, r.neuron
    FROM neuron_rows r JOIN language_count c ON c.run = r.run
    GROUP BY r.run, r.layer, r.neuron
    HAVING min(r.p_active) > 0.5 AND count(*) = max(c.languages)
)
SELECT run, layer, count(*) AS shared_neurons, group_concat(neuron, ' ') AS neurons
FROM shared
GROUP BY run, layer
ORDER BY run, layer;
