-- Activation rate per layer and language: the mean over neurons of P(a > 0), and how many neurons
-- fire on more than half of the language's tokens.
SELECT run, language, layer, n AS tokens,
       avg(p_active)         AS mean_p_active,
       sum(p_active > 0.5)   AS neurons_over_half,
       count(*)              AS neurons
FROM neuron_rows
GROUP BY run, language, layer
ORDER BY run, language, layer;
