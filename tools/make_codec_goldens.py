#!/usr/bin/env python3
"""Blob codec v2 goldens, written by an independent numpy + lz4 implementation of Schema/FORMAT.md.

Writes Tests/PolylensStoreTests/Fixtures/codec_v2.json: blobs (base64) with byte-shuffled f64/i64/f16/i32
and q8_0 (GGUF block quantization, ggml's quantize_row_q8_0_ref rule with the f16-rounded scale), together
with the values a reader must decode from them. Run once; the output is committed.

    python3 tools/make_codec_goldens.py Tests/PolylensStoreTests/Fixtures/codec_v2.json
"""
import base64, json, struct, sys, zlib

import lz4.block
import numpy as np

CODES = {"f16": 1, "f32": 2, "f64": 3, "i64": 4, "i32": 5, "q8_0": 6}


def blob(dtype, shape, logical, filt):
    stored = logical
    if filt == 1:
        width = {"f16": 2, "f32": 4, "f64": 8, "i64": 8, "i32": 4}[dtype]
        stored = np.frombuffer(logical, np.uint8).reshape(-1, width).T.copy().tobytes()
    head = b"PLB1" + bytes([CODES[dtype], len(shape), filt, 0])
    head += struct.pack("<%dQ" % len(shape), *shape) + struct.pack("<Q", len(logical))
    body = lz4.block.compress(stored, store_size=False) if logical else b"\x00"
    return head + body + struct.pack("<I", zlib.crc32(logical))


def q8_0(values):
    v = np.asarray(values, np.float32)
    pad = (-len(v)) % 32
    blocks = np.concatenate([v, np.zeros(pad, np.float32)]).reshape(-1, 32)
    d = (np.abs(blocks).max(axis=1) / np.float32(127)).astype(np.float16)
    inv = np.where(d.astype(np.float32) > 0, 1 / np.maximum(d.astype(np.float32), np.float32(1e-30)), 0).astype(np.float32)
    q = np.clip(np.rint(blocks * inv[:, None]), -127, 127).astype(np.int8)
    raw = b"".join(struct.pack("<e", float(s)) + qs.tobytes() for s, qs in zip(d, q))
    decoded = (d.astype(np.float32)[:, None] * q.astype(np.float32)).reshape(-1)[: len(v)]
    return raw, decoded


def main(out):
    rng = np.random.default_rng(2506)
    cases = []
    f64 = rng.normal(0, 3, 300).cumsum()
    cases.append(("f64 shuffled", blob("f64", [300], f64.astype("<f8").tobytes(), 1), f64.tolist()))
    i64 = rng.integers(0, 100000, 257)
    cases.append(("i64 shuffled", blob("i64", [257], i64.astype("<i8").tobytes(), 1), i64.tolist()))
    f16 = rng.normal(0, 1, (5, 40)).astype(np.float16)
    cases.append(("f16 shuffled", blob("f16", [5, 40], f16.astype("<f2").tobytes(), 1), f16.astype(np.float64).reshape(-1).tolist()))
    i32 = rng.integers(-5, 5000, 99)
    cases.append(("i32 shuffled", blob("i32", [99], i32.astype("<i4").tobytes(), 1), i32.tolist()))
    # A residual-stream-like row: Gaussian with two massive activations, 3 × 70 values (last block padded).
    state = rng.normal(0, 1, (3, 70)).astype(np.float32)
    state[:, 7] *= 800
    state[:, 41] *= -300
    raw, decoded = q8_0(state.reshape(-1))
    cases.append(("q8_0", blob("q8_0", [3, 70], raw, 0), decoded.astype(np.float64).tolist(),
                  state.reshape(-1).astype(np.float64).tolist()))
    doc = []
    for c in cases:
        entry = {"name": c[0], "blob": base64.b64encode(c[1]).decode(), "values": c[2]}
        if len(c) > 3:
            entry["original"] = c[3]
        doc.append(entry)
    with open(out, "w") as f:
        json.dump(doc, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
