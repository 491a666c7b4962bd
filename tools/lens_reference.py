#!/usr/bin/env python3
"""Independent reference for the logit lens Polylens computes at ingest (numpy, float64).

    python3 tools/lens_reference.py MODEL_DIR STATES.f32 META.json > reference.json

MODEL_DIR: a Hugging Face Llama directory with one model.safetensors (F32); the final norm is
`model.norm.weight`, the unembedding `lm_head.weight` or, when tied, `model.embed_tokens.weight`.
STATES.f32: little-endian float32 rows × dim (row = layer × positions + position), the residual stream
before the final norm. META.json: {"rows", "positions", "dim", "eps", "top_k", "next": [per position],
"sets": [[ids], ...]}. Prints, per row, the top-k ids and probabilities (ties to the lower id), the correct
token's probability and rank (1 + tokens with a strictly higher logit), the entropy (nats) and each set's mass.
"""
import json
import struct
import sys

import numpy as np


def safetensors(path):
    with open(path, "rb") as f:
        n, = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", f"{name}: only F32 is read, found {t['dtype']}"
        lo, hi = t["data_offsets"]
        tensors[name] = np.frombuffer(data[lo:hi], "<f4").reshape(t["shape"])
    return tensors


def main():
    model, states_path, meta_path = sys.argv[1:4]
    meta = json.load(open(meta_path))
    w = safetensors(model + "/model.safetensors")
    norm = w["model.norm.weight"].astype(np.float64)
    unembed = w.get("lm_head.weight", w["model.embed_tokens.weight"]).astype(np.float64)
    h = np.fromfile(states_path, "<f4").astype(np.float64).reshape(meta["rows"], meta["dim"])
    x = h / np.sqrt((h * h).mean(axis=1, keepdims=True) + meta["eps"]) * norm
    z = x @ unembed.T
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    k = meta["top_k"]
    order = np.lexsort((np.broadcast_to(np.arange(z.shape[1]), z.shape), -z), axis=1)[:, :k]
    nxt = np.array([meta["next"][r % meta["positions"]] for r in range(meta["rows"])])
    rows = np.arange(meta["rows"])
    correct = z[rows, nxt]
    out = {
        "top_ids": order.tolist(),
        "top_probabilities": np.take_along_axis(p, order, axis=1).tolist(),
        "correct_probability": p[rows, nxt].tolist(),
        "correct_rank": (1 + (z > correct[:, None]).sum(axis=1)).tolist(),
        "entropy": (-(p * np.log(np.where(p > 0, p, 1))).sum(axis=1)).tolist(),
        "set_mass": [[float(p[r, s].sum()) for s in meta["sets"]] for r in range(meta["rows"])],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
