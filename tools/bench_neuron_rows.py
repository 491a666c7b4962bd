#!/usr/bin/env python3
"""neuron_rows at Llama-3.1-8B size: the old view against the virtual table of `polylens sql`, and Python's table.

    tools/bench_neuron_rows.py [--binary .build/release/polylens] [--languages 12 --layers 32 --neurons 14336]

Makes a real Polylens file (a tiny `polylens ingest` with ../shared/models/polycode), replaces its neuron
statistics with synthetic ones of the given shape through the Python package's writer, then times each query
three ways: `polylens sql` with the view as it was (the old definition inlined as a CTE named neuron_rows_view,
which SQLite evaluates once per reference, as it did the view), `polylens sql` with the virtual table, and
Python (`polylens.connect`: TEMP table filled on first use, fill included). Each is a fresh process/connection.
Prints a Markdown table of wall and CPU seconds (CPU: the child's user + system time; Python: process time).
"""
import argparse
import os
import pathlib
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools" / "python"))
import numpy as np  # noqa: E402

import polylens  # noqa: E402

OLD_VIEW = """neuron_rows_view AS (
    SELECT s.run_id AS run, s.language, s.layer, j.key AS neuron, s.tokens AS n,
           json_extract(j.value, '$[0]') AS p_active, json_extract(j.value, '$[1]') AS mean,
           json_extract(j.value, '$[2]') AS std, json_extract(j.value, '$[3]') AS max
    FROM main.neuron_stats s, json_each(neuron_stats_json(s.tokens, s.active, s.sum, s.sumsq, s.max)) j)"""

EXTRA = {
    "one neuron in every language (WHERE layer = 5 AND neuron = 100)":
        "SELECT language, p_active, mean, std, max FROM neuron_rows WHERE layer = 5 AND neuron = 100 ORDER BY language",
    "self_join (C vs Python, every neuron)":
        "SELECT count(*), sum(a.p_active > b.p_active) FROM neuron_rows a JOIN neuron_rows b ON a.run = b.run "
        "AND a.layer = b.layer AND a.neuron = b.neuron AND a.language = 'L00' AND b.language = 'L01'",
    "count(*) (every row once)": "SELECT count(*) FROM neuron_rows",
}


def old_form(sql):
    """The query with the old view inlined as a CTE (an ordinary CTE referenced twice is evaluated twice)."""
    body = re.sub(r"\bneuron_rows\b", "neuron_rows_view", sql)
    stripped = re.sub(r"^(\s*--[^\n]*\n)*", "", body)
    if re.match(r"\s*WITH\s", stripped, re.IGNORECASE):
        return re.sub(r"^\s*WITH\s", "WITH " + OLD_VIEW + ",\n", stripped, count=1, flags=re.IGNORECASE)
    return "WITH " + OLD_VIEW + "\n" + stripped


def make_file(binary, path, languages, layers, neurons):
    shared = pathlib.Path(os.environ.get("POLYLENS_SHARED", REPO.parent / "shared"))
    subprocess.run([binary, "ingest", path, "--model", shared / "models" / "polycode", "--lang", "C=/usr/include/*.h",
                    "--max-doc-tokens", "64", "--max-tokens-per-language", "200", "--held-out", "0", "--threads", "1"],
                   check=True, capture_output=True)
    with polylens.open(path, write=True) as f:
        f.db.execute("DELETE FROM neuron_stats")
        rng = np.random.default_rng(0)
        for g in range(languages):
            rows = []
            for layer in range(layers):
                n = 1_000_000 + g
                p = rng.beta(0.5, 2, neurons)
                active = rng.binomial(n, p).astype(np.int64)
                mean = rng.normal(0, 0.05, neurons)
                s = mean * n
                sumsq = (mean ** 2 + rng.gamma(2, 0.01, neurons)) * n
                rows.append({"run_id": 1, "language": "L%02d" % g, "layer": layer, "tokens": n, "neurons": neurons,
                             "active": active, "sum": s, "sumsq": sumsq,
                             "max": rng.gamma(2, 1, neurons).astype(np.float32)})
            f.insert("neuron_stats", rows)
        f.db.execute("VACUUM")


def timed_cli(binary, path, sql, timeout):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.time()
    try:
        r = subprocess.run([binary, "sql", "--format", "csv", "--", path, sql], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit("polylens sql failed: " + r.stderr)
    return time.time() - start, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), r.stdout.count("\n") - 1


def timed_python(path, sql):
    start, cpu = time.time(), time.process_time()
    with polylens.connect(path) as db:
        rows = db.execute(sql).fetchall()
    return time.time() - start, time.process_time() - cpu, len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=str(REPO / ".build" / "release" / "polylens"))
    ap.add_argument("--languages", type=int, default=12)
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--neurons", type=int, default=14336)
    ap.add_argument("--old-timeout", type=float, default=600, help="seconds before an old-view query is given up")
    ap.add_argument("--keep", help="keep the synthetic file at this path")
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="polylens-bench-")
    path = os.path.join(d, "big.polylens")
    try:
        make_file(args.binary, path, args.languages, args.layers, args.neurons)
        print("file: %d x %d x %d neurons (%d rows), %.1f MB; load average %.2f" % (
            args.languages, args.layers, args.neurons, args.languages * args.layers * args.neurons,
            os.path.getsize(path) / 1e6, os.getloadavg()[0]), file=sys.stderr)
        queries = {q.name: q.read_text() for q in sorted((REPO / "Queries").glob("*.sql")) if "neuron_rows" in q.read_text()}
        queries.update(EXTRA)
        print("| query | rows | old view: wall / CPU s | virtual table: wall / CPU s | Python, TEMP table: wall / CPU s |")
        print("|---|---:|---:|---:|---:|")
        for name, sql in queries.items():
            old = timed_cli(args.binary, path, old_form(sql), args.old_timeout)
            new = timed_cli(args.binary, path, sql, None)
            py = timed_python(path, sql)
            if old[2] is not None and old[2] != new[2]:
                raise SystemExit("%s: old view gave %d rows, table %d" % (name, old[2], new[2]))
            cell = "> %.0f (stopped)" % args.old_timeout if old[0] is None else "%.2f / %.2f" % old[:2]
            print("| %s | %d | %s | %.2f / %.2f | %.2f / %.2f |" % (name, new[2], cell, new[0], new[1], py[0], py[1]),
                  flush=True)
        if args.keep:
            shutil.copy(path, args.keep)
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
