#!/usr/bin/env python3
"""Read a Polylens file without Polylens (sqlite3 + lz4 + numpy), following Schema/FORMAT.md.

    polylens_reader.py FILE [--run ID]   # neuron statistics as CSV: language,layer,neuron,n,active,sum,sumsq,max

As a module: `decode_blob(b)` returns a numpy array, `neuron_stats(path, run)` yields
(language, layer, n, active, sum, sumsq, max) with numpy vectors, `activation_histograms(path, run)` yields
(language, layer, counts [neurons, 40]) and `neuron_contexts(path, run)` yields (scope, layer, value [neurons, k],
document, position, tokens [neurons, k, window]) (schema version 4; nothing for older files).
"""
import argparse
import sqlite3
import struct
import sys
import zlib

import lz4.block
import numpy as np

APPLICATION_ID = 0x504C4E53
SCHEMA_VERSION = 5  # 004 neuron activity and 005 result provenance; older files read the same
DTYPES = {1: "<f2", 2: "<f4", 3: "<f8", 4: "<i8", 5: "<i4"}


def decode_blob(blob):
    """PLB1 header (dtype, rank, dims, raw size), one LZ4 block, CRC32 of the raw bytes."""
    if blob[:4] != b"PLB1":
        raise ValueError("not a Polylens blob (bad magic)")
    dtype, rank = blob[4], blob[5]
    shape = struct.unpack_from("<%dQ" % rank, blob, 8)
    (size,) = struct.unpack_from("<Q", blob, 8 + 8 * rank)
    raw = lz4.block.decompress(blob[16 + 8 * rank:-4], uncompressed_size=size) if size else b""
    (crc,) = struct.unpack_from("<I", blob, len(blob) - 4)
    if len(raw) != size or zlib.crc32(raw) != crc:
        raise ValueError("size or CRC mismatch")
    return np.frombuffer(raw, dtype=DTYPES[dtype]).reshape(shape)


def connect(path):
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    app, version = db.execute("PRAGMA application_id").fetchone()[0], db.execute("PRAGMA user_version").fetchone()[0]
    if app != APPLICATION_ID:
        sys.exit("%s: not a Polylens file" % path)
    if version > SCHEMA_VERSION:
        sys.exit("%s: schema version %d is newer than this reader (%d)" % (path, version, SCHEMA_VERSION))
    return db


def neuron_stats(path, run):
    db = connect(path)
    for language, layer, n, active, s, sumsq, mx in db.execute(
            "SELECT language, layer, tokens, active, sum, sumsq, max FROM neuron_stats WHERE run_id = ? "
            "ORDER BY language, layer", (run,)):
        yield language, layer, n, decode_blob(active), decode_blob(s), decode_blob(sumsq), decode_blob(mx)


def _has_table(db, name):
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def activation_histograms(path, run):
    db = connect(path)
    if not _has_table(db, "activation_histograms"):
        return
    for language, layer, counts in db.execute(
            "SELECT language, layer, counts FROM activation_histograms WHERE run_id = ? ORDER BY language, layer", (run,)):
        yield language, layer, decode_blob(counts)


def neuron_contexts(path, run):
    db = connect(path)
    if not _has_table(db, "neuron_contexts"):
        return
    for scope, layer, value, document, position, tokens in db.execute(
            "SELECT scope, layer, value, document, position, tokens FROM neuron_contexts WHERE run_id = ? "
            "ORDER BY scope, layer", (run,)):
        yield scope, layer, decode_blob(value), decode_blob(document), decode_blob(position), decode_blob(tokens)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--run", type=int, help="run id (default: the only run)")
    args = parser.parse_args()
    run = args.run
    if run is None:
        runs = [r for (r,) in connect(args.file).execute("SELECT id FROM runs")]
        if len(runs) != 1:
            sys.exit("%s: holds runs %s; choose one with --run" % (args.file, runs))
        run = runs[0]
    out = sys.stdout
    out.write("language,layer,neuron,n,active,sum,sumsq,max\n")
    for language, layer, n, active, s, sumsq, mx in neuron_stats(args.file, run):
        for i in range(len(active)):
            out.write("%s,%d,%d,%d,%d,%r,%r,%r\n" % (language, layer, i, n, active[i], float(s[i]), float(sumsq[i]), float(mx[i])))


if __name__ == "__main__":
    main()
