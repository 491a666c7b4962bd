#!/usr/bin/env python3
"""Independent check of Polylens' activation histograms and quantiles (issue 12), with numpy.

usage: neuron_activity_reference.py ACTIVATIONS.f32 MANIFEST.json
ACTIVATIONS.f32 holds series of float32 activations back to back (little-endian); MANIFEST.json is
{"series": [{"name": ..., "count": n}, ...], "quantiles": [0.5, ...]}. Prints JSON: per series name, the
40 bin counts (edges from FORMAT.md "Activation histograms", built here from their definition, not from
Polylens' bit table) and numpy's quantiles (method="lower": the element at rank floor((n - 1)q), which a histogram can
locate; "linear" interpolates across gaps between the largest values that no fixed bin resolves).
"""
import json, sys
import numpy as np

acts = np.fromfile(sys.argv[1], dtype="<f4")
manifest = json.load(open(sys.argv[2]))

# Negative bins are (lo, hi]: bin 0 is a <= -0.25, bins 1..10 between -0.25 and -2^-7, bin 11 is (-2^-7, 0].
neg = [-(2.0 ** e) * m for e in range(-2, -8, -1) for m in ((1.0,) if e == -2 else (1.5, 1.0))]
neg = np.array(sorted(set([-0.25] + neg)))            # -0.25 ... -2^-7, ascending, 11 values
assert len(neg) == 11 and neg[0] == -0.25 and neg[-1] == -(2.0 ** -7)
# Positive bins are [lo, hi): bin 12 is (0, 2^-7), bins 13..38 from 2^-7 to 64 in half octaves, bin 39 >= 64.
pos = np.array([(2.0 ** e) * m for e in range(-7, 6) for m in (1.0, 1.5)] + [64.0])
assert len(pos) == 27

def histogram(x):
    x = x.astype(np.float64)
    bins = np.where(x <= 0, np.searchsorted(neg, x, side="left"), 12 + np.searchsorted(pos, x, side="right"))
    return np.bincount(bins, minlength=40).tolist()

out, offset = {}, 0
for s in manifest["series"]:
    x = acts[offset:offset + s["count"]]
    offset += s["count"]
    out[s["name"]] = {"histogram": histogram(x),
                      "quantiles": [float(np.quantile(x.astype(np.float64), q, method="lower")) for q in manifest["quantiles"]]}
assert offset == len(acts), "manifest counts do not cover the file"
json.dump(out, sys.stdout)
