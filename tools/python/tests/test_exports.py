"""`polylens export --format npz|safetensors` read back by numpy and safetensors, the LAPE layout, filters,
and the `polylens sql` output options."""
import json

import numpy as np
import pytest
from safetensors.numpy import load_file

import polylens
from conftest import polylens as cli


@pytest.mark.parametrize("fmt", ["npz", "safetensors"])
def test_neuron_stats_archive(ingested, tmp_path, fmt):
    out = tmp_path / ("stats." + fmt)
    cli("export", ingested, "--what", "neuron-stats", "--format", fmt, "--out", out)
    with polylens.open(ingested) as f:
        a = f.neuron_arrays()
    if fmt == "npz":
        z = np.load(out)  # allow_pickle=False: every entry is a plain array
        languages = z["languages"].tolist()
    else:
        z = load_file(str(out))
        from safetensors import safe_open
        with safe_open(str(out), "np") as s:
            languages = json.loads(s.metadata()["languages"])
    assert languages == a["languages"]
    for name, dtype in [("layers", np.int64), ("tokens", np.int64), ("active", np.int64), ("sum", np.float64),
                        ("sumsq", np.float64), ("max", np.float32)]:
        assert z[name].dtype == dtype and np.array_equal(z[name], a[name]), name


@pytest.mark.parametrize("fmt", ["npz", "safetensors"])
def test_filtered_summaries_archive(ingested, tmp_path, fmt):
    out = tmp_path / ("s." + fmt)
    cli("export", ingested, "--what", "summaries", "--format", fmt, "--out", out, "--pooling", "mean",
        "--language", "C", "--language", "Python", "--layer", "0", "--layer", "3")
    with polylens.open(ingested) as f:
        docs, data = f.summaries(pooling="mean", languages=["C", "Python"])
    z = np.load(out) if fmt == "npz" else load_file(str(out))
    assert z["data"].dtype == np.float16 and z["layers"].tolist() == [0, 3]
    assert np.array_equal(z["data"], data[:, [0, 3], :])
    if fmt == "npz":
        assert z["sha256"].tolist() == docs["sha256"].tolist()
        assert set(z["language"].tolist()) == {"C", "Python"}


def test_lape_layout(ingested):
    out = json.loads(cli("export", ingested, "--what", "lape-set", "--set", "lape", "--format", "json").stdout)
    with polylens.open(ingested) as f:
        languages, masks = f.lape_masks("lape")
    assert out["languages"] == languages
    assert out["activation_mask"] == [[m.tolist() for m in per_layer] for per_layer in masks]
    only = json.loads(cli("export", ingested, "--what", "lape-set", "--set", "lape", "--format", "json",
                          "--language", "C", "--layer", "1").stdout)
    assert only["languages"] == ["C"]
    assert [len(m) for m in only["activation_mask"][0]] == [0, len(masks[languages.index("C")][1]), 0, 0]


def test_export_errors(ingested, tmp_path):
    for args, message in [
        (["--what", "neuron-stats", "--format", "npz"], "--format npz needs --out FILE"),
        (["--what", "lens", "--format", "safetensors", "--out", tmp_path / "x"], "exports neuron-stats or summaries"),
        (["--what", "lape-set", "--format", "json"], "--what lape-set needs --set NAME"),
        (["--what", "lape-set", "--set", "nope", "--format", "json"], "no neuron set named nope"),
        (["--what", "neuron-stats", "--format", "npz", "--out", tmp_path / "y.npz", "--language", "Klingon"],
         "have no language Klingon"),
        (["--what", "neuron-stats", "--pooling", "mean"], "--pooling applies to summaries only"),
        (["--what", "neuron-stats", "--format", "npz", "--out", tmp_path / "no" / "dir.npz"], "dir.npz: cannot write"),
    ]:
        r = cli("export", ingested, *args, check=False)
        assert r.returncode != 0 and message in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().split("\n")) <= 3, r.stderr  # one line (argument-parser adds its usage hint)
    assert not (tmp_path / "y.npz").exists() and not (tmp_path / "x").exists()


def test_sql_output_options(ingested, tmp_path):
    r = cli("sql", ingested, "SELECT layer, data FROM lens_states WHERE prompt_id = 1 ORDER BY layer LIMIT 2")
    assert "<f16 [" in r.stdout and "x'" not in r.stdout
    with polylens.open(ingested) as f:
        shape = f.db.execute("SELECT blob_shape(data) FROM lens_states WHERE prompt_id = 1").fetchone()[0]
    assert "<f16 [%s]>" % shape.strip("[]").replace(",", ", ") in r.stdout
    tsv = cli("sql", ingested, "SELECT language, count(*) AS n FROM documents GROUP BY language", "--format", "tsv").stdout
    assert tsv.split("\n")[0] == "language\tn" and "C\t" in tsv
    hexed = json.loads(cli("sql", ingested, "SELECT max FROM neuron_stats LIMIT 1", "--format", "json", "--hex-blobs").stdout)
    blob = bytes.fromhex(hexed[0]["max"][2:-1])
    assert polylens.decode(blob).dtype == np.float32
    several = json.loads(cli("sql", ingested, "SELECT 1 AS a; SELECT 2 AS b, 3 AS c", "--format", "json").stdout)
    assert several == [[{"a": 1}], [{"b": 2, "c": 3}]]
    table = cli("sql", ingested, "SELECT 1 AS a; SELECT 2 AS b").stdout
    assert "(1 row)\n\nb" in table
    missing = cli("sql", ingested, tmp_path / "missing.sql", check=False)
    assert missing.returncode != 0 and "missing.sql: no such query file" in missing.stderr
    write = cli("sql", ingested, "SELECT 1; DELETE FROM runs", check=False)
    assert write.returncode != 0 and "sql is read-only, refused: DELETE FROM runs" in write.stderr
    with polylens.open(ingested) as f:
        assert f.db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    bad = cli("sql", ingested, "SELECT 1", "--hex-blobs", check=False)
    assert bad.returncode != 0 and "--hex-blobs applies to --format json only" in bad.stderr
