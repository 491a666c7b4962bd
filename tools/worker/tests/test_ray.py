"""Ray on this machine: 2 workers over 4 shards give the counts of one worker over the whole plan, a task killed
midway and retried gives the same file, and Ray runs the Swift executor per shard too."""
import numpy as np
import pytest

import compare
from conftest import BINARY, polylens, worker

pytest.importorskip("ray")


def combine(plan, results, out):
    polylens("combine", plan, results, "--out", out)
    return out


def counts(path):
    with compare.polylens.open(path) as f:
        stats = f.rows("neuron_stats", "1 ORDER BY language, layer")
        hist = f.rows("activation_histograms", "1 ORDER BY language, layer")
    return stats, hist


def ray(plan, out, *extra, env=None):
    return worker("ray", plan, "--out", out, "--cpus-per-task", "1", "--batch-tokens", "512", "--polylens", BINARY,
                  "--local-cpus", "2", *extra, env=env)


@pytest.fixture(scope="module")
def ray4(plan4, tmp_path_factory):
    d = tmp_path_factory.mktemp("ray4")
    r = ray(plan4, d / "results", "--combine", d / "ray.polylens")
    assert "4/4 shards complete" in r.stderr
    return d / "ray.polylens"


def test_two_workers_over_four_shards_equal_one_worker_over_the_plan(ray4, plan1, torch1, tmp_path):
    one = combine(plan1, torch1, tmp_path / "one.polylens")
    compare.documents(ray4, one)
    (s4, h4), (s1, h1) = counts(ray4), counts(one)
    assert np.array_equal(s4["tokens"], s1["tokens"])
    assert all(np.array_equal(a, b) for a, b in zip(s4["active"], s1["active"])), "counts are not bit-equal"
    assert all(np.array_equal(a, b) for a, b in zip(h4["counts"], h1["counts"])), "histograms are not bit-equal"
    # Same engine and dtype: counts bit-equal; float sums differ by summation order and by the float32 rounding of
    # another batch composition (measured: 5e-8 of the row norm), within the parity tolerance.
    compare.neuron_stats(ray4, one, flips=0, rel=1e-6)
    compare.language_states(ray4, one, rel=1e-6)
    compare.lens(ray4, one)
    compare.contexts(ray4, one)


def test_ray_result_within_parity_of_one_swift_ingest(ray4, study, tmp_path):
    _, args = study
    ingest = tmp_path / "ingest.polylens"
    polylens("ingest", ingest, *args)
    compare.all_tables(ingest, ray4)


def test_a_task_killed_midway_is_retried_and_counts_once(plan4, ray4, tmp_path):
    marker = tmp_path / "crashed"
    r = ray(plan4, tmp_path / "results", "--combine", tmp_path / "retried.polylens",
            env={"POLYLENS_WORKER_CRASH_ONCE": str(marker)})
    assert marker.exists(), "no task crashed"
    assert not list((tmp_path / "results").glob(".*.tmp")), "the killed task's temporary file was left behind"
    compare.documents(ray4, tmp_path / "retried.polylens")
    compare.neuron_stats(ray4, tmp_path / "retried.polylens", flips=0, rel=0)
    compare.language_states(ray4, tmp_path / "retried.polylens", rel=0)
    compare.histograms(ray4, tmp_path / "retried.polylens", flips=0)


def test_ray_runs_the_swift_executor(plan4, swift4, tmp_path):
    ray(plan4, tmp_path / "results", "--engine", "swift", "--combine", tmp_path / "swift.polylens")
    for i in range(4):
        name = "result-%05d-of-00004.polylens" % i
        assert compare.shard_result(tmp_path / "results" / name)["engine"] == "polylens-swift"
        compare.neuron_stats(swift4 / name, tmp_path / "results" / name, flips=0, rel=0)
    combined = combine(plan4, swift4, tmp_path / "direct.polylens")
    compare.neuron_stats(combined, tmp_path / "swift.polylens", flips=0, rel=0)


def test_results_already_there_are_not_recomputed(plan4, torch4, tmp_path):
    import shutil
    results = tmp_path / "results"
    shutil.copytree(torch4, results)
    before = {p.name: p.stat().st_mtime_ns for p in results.iterdir()}
    r = ray(plan4, results)
    assert "4/4 shards complete, 0 to run" in r.stderr
    assert {p.name: p.stat().st_mtime_ns for p in results.iterdir()} == before
