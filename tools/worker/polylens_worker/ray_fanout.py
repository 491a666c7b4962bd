"""One Ray task per shard of a plan, then `polylens combine`. Each task runs an executor as a subprocess (this
worker, or the Swift `polylens execute` for CPU clusters), so a task that dies takes nothing with it but its
temporary file; Ray retries it, and since results are renamed into place atomically and keyed by shard, a retry
never counts anything twice and a result already there is not recomputed."""
import os
import re
import subprocess
import sys
import time

from .shard_plan import PlanError, result_name


def shard_count(plan_dir):
    """N from PLANDIR's plan-i-of-N files, which must be exactly 0..N-1."""
    if not os.path.isdir(plan_dir):
        raise PlanError("%s: no such plan directory" % plan_dir)
    found = [re.fullmatch(r"plan-(\d{5})-of-(\d{5})\.polylens", n) for n in os.listdir(plan_dir)]
    found = [(int(m.group(1)), int(m.group(2))) for m in found if m]
    if not found:
        raise PlanError("%s: holds no plan-*-of-*.polylens" % plan_dir)
    counts = {n for _, n in found}
    if len(counts) != 1:
        raise PlanError("%s: holds plans of %s shards; one plan per directory" % (plan_dir, " and ".join(map(str, sorted(counts)))))
    n = counts.pop()
    missing = sorted(set(range(n)) - {i for i, _ in found})
    if missing:
        raise PlanError("%s: shard plan %d of %d is missing" % (plan_dir, missing[0], n))
    return n


def command(engine, plan_dir, shard, count, out_dir, options):
    """The executor command line of one shard."""
    target = ["%d/%d" % (shard, count)]
    if engine == "swift":
        return [options.get("polylens", "polylens"), "execute", plan_dir, "--shard", *target, "--out", out_dir,
                "--threads", str(options.get("threads", 1))]
    cmd = [sys.executable, "-m", "polylens_worker", "execute", plan_dir, "--shard", *target, "--out", out_dir,
           "--device", options.get("device", "cpu"), "--dtype", options.get("dtype", "float32"),
           "--batch-tokens", str(options.get("batch_tokens", 4096)), "--quiet"]
    if options.get("model"):
        cmd += ["--model", options["model"]]
    return cmd


def run_shard(cmd, env):
    """The body of a Ray task: the executor's exit status decides, its last stderr line explains."""
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["exit status %d" % r.returncode])[-1]
        raise RuntimeError("%s (exit %d)" % (last, r.returncode))
    return r.returncode


def fan_out(plan_dir, out_dir, engine="torch", num_gpus=0, cpus_per_task=1, retries=3, address=None,
            options=None, combine=None, allow_mixed=False, progress=True, local_cpus=None):
    """Runs every shard as a Ray task (local Ray unless `address` or RAY_ADDRESS says otherwise), then combines."""
    import ray
    options = dict(options or {})
    count = shard_count(plan_dir)
    os.makedirs(out_dir, exist_ok=True)
    plan_dir, out_dir = os.path.abspath(plan_dir), os.path.abspath(out_dir)
    options.setdefault("threads", cpus_per_task)
    if engine == "torch" and num_gpus:
        options.setdefault("device", "cuda")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
                                        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    started_here = not ray.is_initialized()
    if started_here:
        cluster = address or os.environ.get("RAY_ADDRESS")
        local = {} if cluster else dict(include_dashboard=False, **({"num_cpus": local_cpus} if local_cpus else {}))
        ray.init(address=cluster, log_to_driver=False, **local)
    try:
        task = ray.remote(num_gpus=num_gpus, num_cpus=cpus_per_task, max_retries=retries,
                          retry_exceptions=True)(run_shard)
        pending = {}
        for i in range(count):
            if os.path.exists(os.path.join(out_dir, result_name(i, count))):
                continue
            pending[task.remote(command(engine, plan_dir, i, count, out_dir, options), env)] = i
        done, total, t0 = count - len(pending), count, time.monotonic()
        if progress:
            print("ray: %d/%d shards complete, %d to run" % (done, total, len(pending)), file=sys.stderr, flush=True)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            i = pending.pop(ready[0])
            try:
                ray.get(ready[0])
            except Exception as e:
                raise PlanError("shard %d/%d failed after %d retries: %s" % (i, count, retries, _last_line(e))) from None
            done += 1
            if progress:
                print("ray: shard %d done; %d/%d shards complete (%.0f s)" % (i, done, total, time.monotonic() - t0),
                      file=sys.stderr, flush=True)
    finally:
        if started_here:
            ray.shutdown()
    if combine:
        cmd = [options.get("polylens", "polylens"), "combine", plan_dir, out_dir, "--out", combine]
        if allow_mixed:
            cmd.append("--allow-mixed-engines")
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise PlanError((r.stderr.strip().splitlines() or ["polylens combine failed (exit %d)" % r.returncode])[-1])
        if progress:
            print("ray: combined %d shards into %s" % (count, combine), file=sys.stderr)
    return count


def _last_line(e):
    text = str(getattr(e, "cause", None) or e).strip().splitlines()
    return next((l for l in reversed(text) if l.strip()), type(e).__name__)
