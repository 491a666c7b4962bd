#!/usr/bin/env python3
"""Independent check of `polylens lape`: recompute LAPE with numpy from `polylens export --what neuron-stats`
CSV, following the original identify.py (RUCAIBox/Language-Specific-Neurons) and the paper's per-language
selection, and compare with `polylens lape --format json`.

usage: lape_reference.py STATS.csv LAPE.json [--per-language 400 | --top-rate 0.01] [--quantile 0.95]
Exit status 0 when τ and every language's neuron set agree.
"""
import argparse, csv, json, sys
import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("stats"); ap.add_argument("lape")
ap.add_argument("--per-language", type=int, default=None)
ap.add_argument("--top-rate", type=float, default=None)
ap.add_argument("--quantile", type=float, default=0.95)
a = ap.parse_args()

rows = list(csv.DictReader(open(a.stats)))
result = json.load(open(a.lape))
langs = result["languages"]
layers = 1 + max(int(r["layer"]) for r in rows)
neurons = 1 + max(int(r["neuron"]) for r in rows)
over_zero = np.zeros((layers, neurons, len(langs)), dtype=np.int64)
n = np.zeros(len(langs), dtype=np.int64)
for r in rows:
    if r["language"] not in langs:
        continue
    k = langs.index(r["language"])
    over_zero[int(r["layer"]), int(r["neuron"]), k] = int(r["active"])
    n[k] = int(r["n"])

p = over_zero / n                                   # layer × neuron × language, float64
s = p.sum(axis=-1, keepdims=True)
normed = np.divide(p, s, out=np.zeros_like(p), where=s > 0)
logs = np.log(normed, out=np.zeros_like(normed), where=normed > 0)
entropy = -(normed * logs).sum(axis=-1)
flat = np.sort(p.flatten())
k = round(len(flat) * a.quantile)                   # Python round: half to even, as torch's caller
tau = flat[max(k, 1) - 1]                           # kthvalue is 1-based
entropy[(p > tau).sum(axis=-1) == 0] = np.inf
order = np.lexsort((np.arange(entropy.size), entropy.flatten()))  # by entropy, ties to the lower index

expected = {}
if a.top_rate is not None:
    chosen = order[:round(entropy.size * a.top_rate)]
    for j, lang in enumerate(langs):
        expected[lang] = sorted([int(i // neurons), int(i % neurons)] for i in chosen if p.reshape(-1, len(langs))[i, j] > tau)
else:
    nu = a.per_language if a.per_language is not None else 400
    for j, lang in enumerate(langs):
        cand = [i for i in order if p.reshape(-1, len(langs))[i, j] > tau][:nu]
        expected[lang] = sorted([int(i // neurons), int(i % neurons)] for i in cand)

ok = abs(result["tau"] - tau) == 0
print(f"tau: polylens {result['tau']!r}, numpy {tau!r} (k = {k} of {len(flat)})")
for lang in langs:
    got = sorted(result["neurons"][lang])
    same = got == expected[lang]
    ok &= same
    print(f"{lang}: {len(got)} neurons, {'same set' if same else 'DIFFERENT: ' + str(len(set(map(tuple, got)) ^ set(map(tuple, expected[lang])))) + ' differ'}")
sys.exit(0 if ok else 1)
