#!/usr/bin/env python3
"""Codec choice for hidden states and the byte-shuffle filter, measured on a real Polylens file.

Reads every blob of a file (FORMAT.md, numpy + lz4 only), and re-encodes it every way the codec allows:
LZ4 with and without byte shuffle, and for hidden states (summaries, lens states) q8_0. Prints, per table
and column, the LZ4 ratio of each variant, and for q8_0 the error against the stored values (per row: cosine,
relative L2 error) including rows with injected massive activations.

    python3 tools/measure_codecs.py FILE.polylens
"""
import sqlite3, struct, sys, zlib

import lz4.block
import numpy as np

DTYPES = {1: "<f2", 2: "<f4", 3: "<f8", 4: "<i8", 5: "<i4"}


def decode(blob):
    dtype, rank, filt = blob[4], blob[5], blob[6]
    shape = struct.unpack_from("<%dQ" % rank, blob, 8)
    size, = struct.unpack_from("<Q", blob, 8 + 8 * rank)
    raw = lz4.block.decompress(blob[16 + 8 * rank:-4], uncompressed_size=size) if size else b""
    if filt == 1:
        width = np.dtype(DTYPES[dtype]).itemsize
        raw = np.frombuffer(raw, np.uint8).reshape(width, -1).T.tobytes()
    assert zlib.crc32(raw) == struct.unpack_from("<I", blob, len(blob) - 4)[0]
    if dtype == 6:
        blocks = np.frombuffer(raw, np.dtype([("d", "<f2"), ("q", "i1", 32)]))
        return (blocks["d"].astype(np.float32)[:, None] * blocks["q"]).reshape(-1)[: int(np.prod(shape))].reshape(shape)
    return np.frombuffer(raw, DTYPES[dtype]).reshape(shape)


def lz4_size(raw):
    return len(lz4.block.compress(raw, store_size=False)) if raw else 1


def shuffled(a):
    return np.frombuffer(a.tobytes(), np.uint8).reshape(-1, a.dtype.itemsize).T.tobytes()


def q8_0(values):
    v = values.astype(np.float32).reshape(-1)
    pad = (-len(v)) % 32
    blocks = np.concatenate([v, np.zeros(pad, np.float32)]).reshape(-1, 32)
    d = (np.abs(blocks).max(axis=1) / np.float32(127)).astype(np.float16).astype(np.float32)
    inv = np.divide(1, d, out=np.zeros_like(d), where=d > 0)
    q = np.clip(np.round(blocks * inv[:, None]), -127, 127).astype(np.int8)
    raw = b"".join(struct.pack("<e", float(s)) + qs.tobytes() for s, qs in zip(d, q))
    return raw, (d[:, None] * q).reshape(-1)[: len(v)].reshape(values.shape)


def row_errors(a, b):
    a = a.reshape(-1, a.shape[-1]).astype(np.float64); b = b.reshape(-1, b.shape[-1]).astype(np.float64)
    na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
    ok = (na > 0) & (nb > 0)
    cos = (a * b).sum(1)[ok] / (na[ok] * nb[ok])
    rel = np.linalg.norm(a - b, axis=1)[ok] / na[ok]
    return cos, rel


def main(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    columns = [("documents", "token_ids"), ("neuron_stats", "active"), ("neuron_stats", "sum"), ("neuron_stats", "sumsq"),
               ("neuron_stats", "max"), ("language_states", "sum"), ("language_states", "sumsq"),
               ("summaries", "data"), ("lens_states", "data")]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    print("%-28s %8s %12s %8s %8s %8s" % ("column", "blobs", "raw bytes", "lz4", "shuffle", "q8_0"))
    rng = np.random.default_rng(0)
    for table, column in columns:
        if table not in tables:
            continue
        blobs = [r[0] for r in db.execute("SELECT %s FROM %s WHERE %s IS NOT NULL" % (column, table, column))]
        if not blobs:
            continue
        raw = plain = shuf = q8 = 0
        cosines, rels, massive = [], [], []
        for b in blobs:
            a = decode(b)
            raw += a.nbytes
            plain += lz4_size(a.tobytes())
            shuf += lz4_size(shuffled(a))
            if table in ("summaries", "lens_states") and a.dtype != np.int8:
                qraw, back = q8_0(a)
                q8 += lz4_size(qraw)
                c, r = row_errors(a, back); cosines.append(c); rels.append(r)
                # The same rows with two "massive activations" (300× and 900× the row's RMS) injected.
                m = a.astype(np.float32).reshape(-1, a.shape[-1]).copy()
                rms = np.sqrt((m ** 2).mean(axis=1, keepdims=True)) + 1e-6
                cols = rng.choice(m.shape[1], 2, replace=False)
                m[:, cols[0]] = 900 * rms[:, 0]; m[:, cols[1]] = -300 * rms[:, 0]
                massive.append(row_errors(m, q8_0(m)[1])[0])
        ratio = lambda n: "%8.3f" % (raw / n) if n else "%8s" % "-"
        print("%-28s %8d %12d %s %s %s" % ("%s.%s" % (table, column), len(blobs), raw, ratio(plain), ratio(shuf), ratio(q8)))
        if cosines:
            c = np.concatenate(cosines); r = np.concatenate(rels); m = np.concatenate(massive)
            print("  q8_0 vs stored, per row: cosine min %.7f mean %.7f; relative L2 error mean %.2e max %.2e;"
                  " with massive activations: cosine min %.7f" % (c.min(), c.mean(), r.mean(), r.max(), m.min()))


if __name__ == "__main__":
    main(sys.argv[1])
