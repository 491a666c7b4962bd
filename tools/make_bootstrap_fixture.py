#!/usr/bin/env python3
"""Make Tests/PolylensAnalysisTests/Fixtures/bootstrap_scipy.json once: percentile-bootstrap 95% intervals from
scipy.stats.bootstrap (method='percentile') on real data, the paper's parallel snippets (../shared/data/paper),
for BootstrapTests to compare with Sources/PolylensAnalysis/Bootstrap.swift (a different generator, so the
test allows for Monte Carlo error; 200000 resamples here make scipy's side nearly exact).

Three statistics, the three kinds Polylens intervals use:
  mean   - the mean of per-document values (bytes of the first 60 C snippets, sorted ids)
  ratio  - a ratio of sums over paired units (Σ C bytes / Σ Python bytes, the same 60 items), as ΔNLL per token
  hits   - the mean of 0/1 hits (C snippet longer than its Java counterpart), as a MEXA score
usage: python3 tools/make_bootstrap_fixture.py [SHARED_DIR]   (needs numpy, scipy)
"""
import json, os, sys
import numpy as np
import scipy
from scipy.stats import bootstrap

here = os.path.dirname(os.path.abspath(__file__))
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "shared")
snippets = os.path.join(shared, "data", "paper", "code_snippets")
ids = sorted(os.listdir(os.path.join(snippets, "C")))[:60]
size = lambda lang, i: os.path.getsize(os.path.join(snippets, lang, i))
c = np.array([size("C", i) for i in ids], dtype=float)
py = np.array([size("Python", i) for i in ids], dtype=float)
java = np.array([size("Java", i) for i in ids], dtype=float)
hits = (c > java).astype(float)

B, seed = 200_000, 20261202
def interval(data, statistic, paired=False):
    r = bootstrap(data, statistic, n_resamples=B, confidence_level=0.95, method="percentile",
                  paired=paired, vectorized=True, random_state=np.random.default_rng(seed))
    return {"low": float(r.confidence_interval.low), "high": float(r.confidence_interval.high),
            "standard_error": float(r.standard_error)}

mean = lambda x, axis: x.mean(axis=axis)
ratio = lambda n, d, axis: n.sum(axis=axis) / d.sum(axis=axis)
fixture = {
    "source": "tools/make_bootstrap_fixture.py: scipy %s, numpy %s, %d resamples, 95%% percentile, items %s..%s"
              % (scipy.__version__, np.__version__, B, ids[0], ids[-1]),
    "mean": {"values": c.tolist(), "estimate": float(c.mean()), **interval((c,), mean)},
    "ratio": {"numerator": c.tolist(), "denominator": py.tolist(), "estimate": float(c.sum() / py.sum()),
              **interval((c, py), ratio, paired=True)},
    "hits": {"values": hits.tolist(), "estimate": float(hits.mean()), **interval((hits,), mean)},
}
out = os.path.join(here, "..", "Tests", "PolylensAnalysisTests", "Fixtures", "bootstrap_scipy.json")
with open(out, "w") as f:
    json.dump(fixture, f, indent=1)
    f.write("\n")
print(out)
