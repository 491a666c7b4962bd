#!/usr/bin/env python3
"""Independent check of `polylens ablate`'s numbers from the file alone (sqlite3 + numpy + scipy): for one ablation
run, recompute from `ablation_documents` each (ablated, evaluated) ΔNLL per token, its percentile-bootstrap 95%
interval over documents (scipy.stats.bootstrap, paired ratio of sums) and the random control's mean and sample
standard deviation across seeds, and compare with `polylens ablate --format json` (or a stored run shown by
`polylens results`). The generators differ, so endpoints are compared within 5% of the interval's width plus 1e-9.

usage: ablation_intervals_reference.py FILE ABLATE.json
Exit status 0 when every row agrees.
"""
import json, sqlite3, sys
import numpy as np
from scipy.stats import bootstrap

path, result = sys.argv[1], json.load(open(sys.argv[2]))
db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
rows = db.execute("""SELECT a.ablated_language, a.control_seed, d.language, a.tokens, a.nll_before, a.nll_after
                     FROM ablation_documents a JOIN documents d ON d.id = a.document_id
                     WHERE a.ablation_id = ? ORDER BY a.document_id""", (result["ablation_id"],)).fetchall()
bad = 0
for r in result["results"]:
    mine = [x for x in rows if x[0] == r["ablated_language"] and x[2] == r["eval_language"]]
    own = np.array([(t, t * (after - before)) for _, seed, _, t, before, after in mine if seed is None])
    tokens, delta = own[:, 0], own[:, 1]
    change = delta.sum() / tokens.sum()
    if len(own) > 1:
        ci = bootstrap((delta, tokens), lambda n, d, axis: n.sum(axis=axis) / d.sum(axis=axis), paired=True, vectorized=True,
                       n_resamples=20000, confidence_level=0.95, method="percentile",
                       random_state=np.random.default_rng(0)).confidence_interval
        low, high = ci.low, ci.high
    else:
        low = high = change
    seeds = sorted({x[1] for x in mine if x[1] is not None})
    controls = [sum(t * (a - b) for _, s, _, t, b, a in mine if s == seed) / sum(t for _, s, _, t, _, _ in mine if s == seed)
                for seed in seeds]
    tol = 0.05 * (high - low) + 1e-9
    checks = [("change", r["change"], change, 1e-9), ("change_low", r["change_low"], low, tol),
              ("change_high", r["change_high"], high, tol)]
    if controls:
        checks += [("control_mean", r["control_mean"], float(np.mean(controls)), 1e-9)]
        if len(controls) > 1:
            checks += [("control_sd", r["control_sd"], float(np.std(controls, ddof=1)), 1e-9)]
    for name, got, want, t in checks:
        if not abs(got - want) <= t:
            bad += 1
            print("%s → %s %s: polylens %.6g, reference %.6g" % (r["ablated_language"], r["eval_language"], name, got, want))
print("%d rows, %d disagreements" % (len(result["results"]), bad))
sys.exit(1 if bad else 0)
