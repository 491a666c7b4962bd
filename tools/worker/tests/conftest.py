"""Shared fixtures: a polycode study (C headers and Python's standard library, parallel snippets in four
languages, few-shot lens prompts for C and Python, held-out documents, histograms and top contexts) planned by
the built `polylens plan` in 4 shards and in 1, executed by the Swift `polylens execute` and by this worker.
Made once per session; tests skip when the binary or the shared model is missing."""
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
WORKER = REPO / "tools" / "worker"
sys.path.insert(0, str(REPO / "tools" / "python"))
sys.path.insert(0, str(WORKER))
from polylens.testing import BINARY, MODEL, SHARED, parallel_snippets, polylens, require  # noqa: E402,F401

LANGUAGES = ["C", "C++", "Java", "Python"]
ITEMS = 4


def worker(*args, env=None, check=True):
    e = dict(os.environ, **(env or {}))
    e["PYTHONPATH"] = os.pathsep.join([str(WORKER), str(REPO / "tools" / "python")])
    r = subprocess.run([sys.executable, "-m", "polylens_worker", *map(str, args)], capture_output=True, text=True, env=e)
    if check and r.returncode != 0:
        raise AssertionError("worker %s failed (%d): %s" % (" ".join(map(str, args)), r.returncode, r.stderr))
    return r


@pytest.fixture(scope="session")
def study(tmp_path_factory):
    """The plan arguments and a directory to make plans in."""
    require()
    d = tmp_path_factory.mktemp("study")
    parallel = parallel_snippets(d / "parallel", LANGUAGES, ITEMS)
    args = ["--model", MODEL, "--lang", "C=/usr/include/*.h", "--lang", "Python=/usr/lib/python3.11/*.py",
            "--parallel", parallel, "--prompts", SHARED / "data" / "paper" / "prompts", "--lens-items", "2",
            "--lens-languages", "C,Python", "--held-out", "0.2", "--max-doc-tokens", "80",
            "--max-tokens-per-language", "1600", "--threads", "1"]
    return d, args


def make_plan(study, shards, name):
    d, args = study
    out = d / name
    if not out.exists():
        polylens("plan", "--out", out, "--shards", shards, *args)
    return out


@pytest.fixture(scope="session")
def plan4(study):
    return make_plan(study, 4, "plan4")


@pytest.fixture(scope="session")
def plan1(study):
    return make_plan(study, 1, "plan1")


@pytest.fixture(scope="session")
def swift4(plan4, tmp_path_factory):
    out = tmp_path_factory.mktemp("swift4")
    for i in range(4):
        polylens("execute", plan4, "--shard", "%d/4" % i, "--out", out, "--threads", "1")
    return out


@pytest.fixture(scope="session")
def torch4(plan4, tmp_path_factory):
    out = tmp_path_factory.mktemp("torch4")
    for i in range(4):
        worker("execute", plan4, "--shard", "%d/4" % i, "--out", out, "--batch-tokens", "512", "--quiet")
    return out


@pytest.fixture(scope="session")
def torch1(plan1, tmp_path_factory):
    out = tmp_path_factory.mktemp("torch1")
    worker("execute", plan1, "--shard", "0/1", "--out", out, "--quiet")
    return out
