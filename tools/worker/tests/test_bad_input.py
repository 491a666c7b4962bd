"""Bad input is refused with one line naming the file and the problem, a non-zero exit, and nothing written:
by the worker (bad arguments, a plan it cannot honour, another model, a truncated plan, a misnamed shard) and by
`polylens combine` over worker results (another plan, a duplicated or truncated shard, a plan edited after
sharding)."""
import shutil
import sqlite3

import pytest

from conftest import polylens, worker
from polylens_worker.shard_plan import plan_name, result_name


def refused(r, *words):
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0 and len(lines) == 1, r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def plan_copy(plan4, tmp_path):
    d = tmp_path / "plan"
    shutil.copytree(plan4, d)
    (tmp_path / "out").mkdir()
    return d, tmp_path / "out"


def execute(plan, out, shard="0/4", *extra):
    return worker("execute", plan, "--shard", shard, "--out", out, "--quiet", *extra, check=False)


def edit(path, sql, *params):
    db = sqlite3.connect(path)
    db.execute(sql, params)
    db.commit()
    db.close()


def test_bad_arguments(plan_copy):
    plan, out = plan_copy
    refused(execute(plan, out, "4/4"), "--shard", "0 <= i < N")
    refused(execute(plan, out, "x"), "--shard")
    refused(execute(plan, out, "0/3"), "plan-00000-of-00003.polylens", "no such shard plan")
    refused(execute(plan, out / "missing"), "no such result directory")
    refused(execute(plan, out, "0/4", "--device", "cuda:0"), "cuda") if not _cuda() else None
    refused(execute(plan, out, "0/4", "--batch-tokens", "0"), "--batch-tokens")
    assert not list(out.iterdir())


def _cuda():
    import torch
    return torch.cuda.is_available()


def test_a_plan_for_another_model(plan_copy):
    plan, out = plan_copy
    edit(plan / plan_name(0, 4), "UPDATE runs SET model_sha256 = ?", "0" * 64)
    refused(execute(plan, out), "plan-00000-of-00004.polylens", "sha256", "the plan was made for 0000")
    assert not list(out.iterdir())


def test_a_parameter_the_worker_cannot_honour(plan_copy):
    plan, out = plan_copy
    edit(plan / plan_name(0, 4), "UPDATE runs SET parameters_json = json_set(parameters_json, '$.activation_histograms', 64)")
    refused(execute(plan, out), "cannot run the plan", "activation_histograms")
    edit(plan / plan_name(0, 4), "UPDATE runs SET parameters_json = json_set(parameters_json, '$.activation_histograms', 40, '$.colour', 1)")
    refused(execute(plan, out), "unknown parameter colour")
    edit(plan / plan_name(0, 4), "UPDATE runs SET parameters_json = json_set(json_remove(parameters_json, '$.colour'), '$.summary_codec', 'f64')")
    refused(execute(plan, out), "summary_codec")
    assert not list(out.iterdir())


def test_a_truncated_or_misnamed_plan(plan_copy):
    plan, out = plan_copy
    path = plan / plan_name(1, 4)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    refused(execute(plan, out, "1/4"), "plan-00001-of-00004.polylens")
    shutil.copy(plan / plan_name(2, 4), plan / plan_name(3, 4))
    refused(execute(plan, out, "3/4"), "plan-00003-of-00004.polylens", "is shard 2/4, not 3/4")
    assert not list(out.iterdir())


def test_a_result_is_not_a_plan(plan_copy, torch4):
    plan, out = plan_copy
    shutil.copy(torch4 / result_name(0, 4), plan / plan_name(0, 4))
    refused(execute(plan, out), "is a result shard already")


@pytest.fixture
def results(plan4, torch4, tmp_path):
    d = tmp_path / "results"
    shutil.copytree(torch4, d)
    return d


def combine_refused(plan, results, out, *words):
    r = polylens("combine", plan, results, "--out", out, check=False)
    line = refused(r, *words)
    assert not out.exists() and not [p for p in out.parent.iterdir() if p.name.startswith(out.name)], "something was written"
    return line


def test_combine_refuses_a_duplicated_shard(plan4, results, tmp_path):
    shutil.copy(results / result_name(1, 4), results / result_name(2, 4))
    combine_refused(plan4, results, tmp_path / "c.polylens", result_name(2, 4))


def test_combine_refuses_a_truncated_shard(plan4, results, tmp_path):
    p = results / result_name(3, 4)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    combine_refused(plan4, results, tmp_path / "c.polylens", result_name(3, 4))


def test_combine_refuses_a_shard_of_another_plan(study, plan4, results, tmp_path):
    from conftest import make_plan
    d, args = study
    other = tmp_path / "other"
    polylens("plan", "--out", other, "--shards", 4, *[a if a != "0.2" else "0.25" for a in args])
    worker("execute", other, "--shard", "0/4", "--out", tmp_path, "--quiet")
    shutil.copy(tmp_path / result_name(0, 4), results / result_name(0, 4))
    combine_refused(plan4, results, tmp_path / "c.polylens", result_name(0, 4))


def test_combine_refuses_a_plan_edited_after_sharding(plan4, results, tmp_path):
    plan = tmp_path / "plan"
    shutil.copytree(plan4, plan)
    edit(plan / plan_name(1, 4), "UPDATE planned_documents SET source = source || 'x' WHERE ordinal = (SELECT min(ordinal) FROM planned_documents)")
    combine_refused(plan, results, tmp_path / "c.polylens", plan_name(1, 4))


def test_combine_refuses_a_shard_for_another_model(plan4, results, tmp_path):
    edit(results / result_name(1, 4), "UPDATE runs SET model_sha256 = ?", "f" * 64)
    combine_refused(plan4, results, tmp_path / "c.polylens", result_name(1, 4))
