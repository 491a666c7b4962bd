"""The worker in float32 on CPU against the Swift engine on the same polycode plan (4 shards: corpus documents
in C and Python, parallel snippets in four languages, held-out documents, lens prompts): every table within
the parity tolerances, shard by shard and combined, and MEXA and the lens from the combined files."""
import json

import numpy as np
import pytest

import compare
from conftest import polylens
from polylens_worker.shard_plan import result_name


@pytest.mark.parametrize("shard", range(4))
def test_result_shards_agree_with_swift(shard, swift4, torch4):
    a, b = swift4 / result_name(shard, 4), torch4 / result_name(shard, 4)
    compare.all_tables(a, b)
    r = compare.shard_result(b)
    assert (r["engine"], r["dtype"], r["device"], r["shard"], r["shard_count"]) == ("polylens-torch", "float32", "cpu", shard, 4)
    libraries = json.loads(r["libraries_json"])
    assert {"torch", "transformers", "numpy", "python"} <= set(libraries)
    assert compare.shard_result(a)["engine"] == "polylens-swift"
    assert r["tokens"] == compare.shard_result(a)["tokens"]


@pytest.fixture(scope="module")
def combined(plan4, swift4, torch4, tmp_path_factory):
    d = tmp_path_factory.mktemp("combined")
    polylens("combine", plan4, swift4, "--out", d / "swift.polylens")
    polylens("combine", plan4, torch4, "--out", d / "torch.polylens")
    return d / "swift.polylens", d / "torch.polylens"


def test_combined_files_agree(combined):
    a, b = combined
    changed, total = compare.all_tables(a, b)
    assert total > 100000, "the study is too small to test flips (%d counts)" % total
    with open(b, "rb"):
        pass
    r = polylens("verify", b)
    assert r.returncode == 0


def numbers(value):
    """Every number in a JSON document, in order (keys sorted), for comparing two analyses."""
    if isinstance(value, dict):
        return [n for k in sorted(value) for n in numbers(value[k])]
    if isinstance(value, list):
        return [n for v in value for n in numbers(v)]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return []
    return [float(value)]


@pytest.mark.parametrize("command", [["mexa"], ["lens"], ["lape"]])
def test_analyses_agree(combined, command):
    a, b = combined
    out = [json.loads(polylens(*command, path, "--format", "json").stdout) for path in (a, b)]
    x, y = np.array(numbers(out[0])), np.array(numbers(out[1]))
    assert x.shape == y.shape and x.size > 0
    np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-4, err_msg=" ".join(command))
