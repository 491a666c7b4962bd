-- Documents, tokens and bytes per run and language; held-out documents (kept for ablation) separately.
SELECT run_id AS run, language,
       count(*) FILTER (WHERE NOT held_out)        AS documents,
       ifnull(sum(tokens) FILTER (WHERE NOT held_out), 0) AS tokens,
       ifnull(sum(bytes) FILTER (WHERE NOT held_out), 0)  AS bytes,
       count(*) FILTER (WHERE held_out)            AS held_out_documents,
       ifnull(sum(tokens) FILTER (WHERE held_out), 0)     AS held_out_tokens
FROM documents
GROUP BY run_id, language
ORDER BY run_id, language;
