"""polylens.open(...) against `polylens export` on the same file, the generic table reader, the typed
accessors and the write API."""
import csv
import io
import json
import shutil
import sqlite3

import numpy as np
import pytest

import polylens
from polylens.__main__ import main as module_main
from conftest import polylens as cli


def exported(path, *args):
    return list(csv.DictReader(io.StringIO(cli("export", path, *args).stdout)))


def test_neuron_stats_equal_export(ingested):
    rows = exported(ingested, "--what", "neuron-stats", "--format", "csv")
    with polylens.open(ingested) as f:
        frame = f.neuron_stats()
    assert len(rows) == len(frame)
    for r, (key, v) in zip(rows, frame.iterrows()):
        assert key == (r["language"], int(r["layer"]), int(r["neuron"]))
        assert (v["n"], v["active"]) == (int(r["n"]), int(r["active"]))
        assert (v["sum"], v["sumsq"]) == (float(r["sum"]), float(r["sumsq"]))  # shortest round-trip text: exact
        assert np.float32(v["max"]) == np.float32(float(r["max"]))
    p = frame["active"] / frame["n"]
    assert np.array_equal(frame["p_active"], p)


def test_module_cli_prints_the_export(ingested, capsys):
    assert module_main([str(ingested)]) == 0
    mine = capsys.readouterr().out.strip().split("\n")
    theirs = cli("export", ingested, "--what", "neuron-stats", "--format", "csv").stdout.strip().split("\n")
    assert mine[0] == theirs[0] and len(mine) == len(theirs)
    for a, b in zip(mine[1:], theirs[1:]):
        x, y = a.split(","), b.split(",")
        assert x[:5] == y[:5] and [float(v) for v in x[5:]] == [float(v) for v in y[5:7]] + [float(np.float32(y[7]))]


def test_summaries_equal_export(ingested):
    rows = exported(ingested, "--what", "summaries", "--format", "csv", "--pooling", "last", "--language", "Java")
    with polylens.open(ingested) as f:
        docs, data = f.summaries(pooling="last", languages=["Java"])
    assert set(r["pooling"] for r in rows) == {"last"} and len(docs) == 5
    assert len(rows) == data.shape[0] * data.shape[1]
    for r in rows:
        k = docs.index[docs["sha256"] == r["sha256"]][0]
        values = np.array([float(v) for v in r["values"].split()], np.float32)
        assert np.array_equal(values, data[k, int(r["layer"])].astype(np.float32))


def test_every_table_reads_generically(ingested):
    with polylens.open(ingested) as f:
        assert set(f.tables()) >= {"runs", "documents", "neuron_stats", "summaries", "lens_prompts", "lens_states",
                                   "unembedding", "neuron_sets", "neuron_set_members", "ablation_results"}
        for t in f.tables():
            rows = f.rows(t)
            count = f.db.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
            assert all(len(v) == count for v in rows.values()), t
        lens = f.rows("lens_states")
        assert all(isinstance(a, np.ndarray) and a.dtype == np.float16 and a.ndim == 2 for a in lens["data"])
        held = f.rows("documents", "held_out = 1")
        assert all(len(ids) == n and ids[0] == 1 for ids, n in zip(held["token_ids"], held["tokens"]))  # BOS first


def test_neuron_sets_lens_ablation_unembedding(ingested):
    lape = json.loads(cli("lape", ingested, "--format", "json").stdout)
    with polylens.open(ingested) as f:
        sets = f.neuron_sets()
        languages, masks = f.lape_masks("lape")
        prompts, states = f.lens()
        ablation = f.ablation_results()
        norm, matrix = f.unembedding()
        arch = f.runs()["architecture"][0]
    assert sorted(sets["lape"]) == sorted(lape["neurons"]) == languages
    for g, pairs in lape["neurons"].items():
        assert sorted(map(tuple, pairs)) == sorted(map(tuple, sets["lape"][g].tolist()))
    for g, per_layer in zip(languages, masks):
        assert len(per_layer) == arch["n_layers"]
        assert sum(len(m) for m in per_layer) == len(lape["neurons"][g])
    assert len(prompts) == 4 and all(states[p].shape[0] == arch["n_layers"] + 1 for p in prompts["id"])
    for p, tokens, first in zip(prompts["id"], prompts["tokens"], prompts["first_position"]):
        assert states[p].shape[1] == len(tokens) - 1 - first
    assert set(ablation["control"]) == {0, 1} and np.allclose(ablation["delta_nll"], ablation["nll_after"] - ablation["nll_before"])
    assert norm.shape == (arch["dim"],) and matrix.shape == (arch["vocab_size"], arch["dim"])


def test_language_states_and_centroids(ingested):
    """language_states as Swift's ingest wrote them (byte-shuffled f64 blobs) equal `polylens export`'s CSV, and
    the centroids are sum / tokens."""
    with polylens.open(ingested) as f:
        states = f.language_states()
        languages, layers, centroids = f.centroids()
        raw = f.db.execute("SELECT sum FROM language_states LIMIT 1").fetchone()[0]
    assert raw[6] == 1  # Swift stores them byte-shuffled
    assert languages == ["C", "C++", "English", "Java", "Python"]
    exported = list(csv.DictReader(io.StringIO(cli("export", ingested, "--what", "language-states").stdout)))
    assert len(exported) == len(languages) * len(layers) * states["dim"]
    for row in exported:
        g, l, i = languages.index(row["language"]), int(row["layer"]), int(row["dimension"])
        assert states["sum"][g, l, i] == float(row["sum"]) and states["sumsq"][g, l, i] == float(row["sumsq"])
        assert centroids[g, l, i] == pytest.approx(float(row["sum"]) / int(row["n"]), rel=1e-15)


def test_insert_is_one_transaction(ingested, tmp_path):
    path = tmp_path / "w.polylens"
    shutil.copy(ingested, path)
    with polylens.open(path, write=True) as f:
        before = f.db.execute("SELECT count(*) FROM neuron_sets").fetchone()[0]
        with pytest.raises(polylens.PolylensError, match="has no column colour"):
            f.insert("neuron_sets", [{"run_id": 1, "name": "a", "parameters_json": "{}", "created_at": "t"},
                                     {"run_id": 1, "name": "b", "colour": 3}])
        assert f.db.execute("SELECT count(*) FROM neuron_sets").fetchone()[0] == before
        (set_id,) = f.insert("neuron_sets", [{"run_id": 1, "name": "mine", "parameters_json": "{}", "created_at": "t"}])
        f.insert("neuron_set_members", [{"set_id": set_id, "language": "C", "layers": np.array([0, 2], np.int32),
                                         "neurons": np.array([5, 7], np.int32)}])
    out = json.loads(cli("export", path, "--what", "lape-set", "--set", "mine", "--format", "json").stdout)
    assert out["languages"] == ["C"] and out["activation_mask"][0][0] == [5] and out["activation_mask"][0][2] == [7]
    with polylens.open(path) as f, pytest.raises(polylens.PolylensError, match="read-only"):
        f.insert("neuron_sets", [])


def test_transaction_spans_tables_and_rolls_back(ingested, tmp_path):
    path = tmp_path / "t.polylens"
    shutil.copy(ingested, path)
    count = "SELECT (SELECT count(*) FROM neuron_sets), (SELECT count(*) FROM neuron_set_members)"
    with polylens.open(path, write=True) as f:
        before = f.db.execute(count).fetchone()
        with pytest.raises(polylens.PolylensError, match="has no column colour"), f.transaction():
            (set_id,) = f.insert("neuron_sets", [{"run_id": 1, "name": "x", "parameters_json": "{}", "created_at": "t"}])
            f.insert("neuron_set_members", [{"set_id": set_id, "language": "C", "layers": np.array([1], np.int32),
                                             "neurons": np.array([3], np.int32)}], filter={"layers": "shuffle"})
            f.insert("neuron_set_members", [{"set_id": set_id, "colour": 1}])
        assert f.db.execute(count).fetchone() == before
        with f.transaction():
            (set_id,) = f.insert("neuron_sets", [{"run_id": 1, "name": "y", "parameters_json": "{}", "created_at": "t"}])
            f.insert("neuron_set_members", [{"set_id": set_id, "language": "C", "layers": np.array([1], np.int32),
                                             "neurons": np.array([3], np.int32)}], filter={"layers": "shuffle"})
            f.execute("UPDATE runs SET updated_at = 'now'")
    with polylens.open(path) as f:
        assert f.db.execute(count).fetchone() == (before[0] + 1, before[1] + 1)
        assert f.neuron_sets()["y"]["C"].tolist() == [[1, 3]]
        blob = f.db.execute("SELECT layers FROM neuron_set_members m JOIN neuron_sets s ON s.id = m.set_id "
                            "WHERE s.name = 'y'").fetchone()[0]
        assert polylens.codec.header(blob).filter == "shuffle"


def test_bad_files(tmp_path):
    with pytest.raises(polylens.PolylensError, match="no such file"):
        polylens.open(tmp_path / "missing.polylens")
    text = tmp_path / "text.polylens"
    text.write_text("hello")
    with pytest.raises(polylens.PolylensError, match="not a SQLite file"):
        polylens.open(text)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(polylens.PolylensError, match="not a Polylens file"):
        polylens.open(other)
    newer = tmp_path / "newer.polylens"
    db = sqlite3.connect(newer)
    db.execute("PRAGMA application_id = 1347178067")
    db.execute("PRAGMA user_version = 99")
    db.commit()
    with pytest.raises(polylens.PolylensError, match="schema version 99 is newer"):
        polylens.open(newer)
