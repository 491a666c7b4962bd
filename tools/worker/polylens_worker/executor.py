"""Executes one shard plan into a result shard (Schema/FORMAT.md, "Shard plans and result shards"): run the
planned token ids through the model (held-out documents are stored, not run), reduce the taps as ingest does,
then copy the plan to a temporary file beside the result, write every row in one transaction with the
shard_results row, fsync and rename. A result that exists is complete and is not computed again."""
import datetime
import json
import os
import platform
import shutil
import socket
import sys
import time

import numpy as np
import torch

import polylens

from . import ENGINE, VERSION
from . import model as modelmod
from .accumulators import BIN_TABLE, BINS, LanguageSums, TopContexts, context_table, summaries
from .lens import Lens
from .shard_plan import PlanError, locate, read, result_name

CRASH_ENV = "POLYLENS_WORKER_CRASH_ONCE"


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Progress:
    """`execute shard 3/8: 41% 12,000/29,000 tokens, 830 tokens/s` on stderr, at most every `every` seconds."""

    def __init__(self, label, total, enabled=True, every=2.0):
        self.label, self.total, self.enabled, self.every = label, total, enabled, every
        self.done, self.start, self.last = 0, time.monotonic(), 0.0

    def advance(self, tokens, final=False):
        self.done += tokens
        t = time.monotonic()
        if self.enabled and (final or t - self.last >= self.every):
            self.last = t
            rate = self.done / max(t - self.start, 1e-9)
            pct = 100 * self.done / self.total if self.total else 100
            print("%s: %3.0f%% %s/%s tokens, %.0f tokens/s" % (self.label, pct, format(self.done, ","),
                                                               format(self.total, ","), rate), file=sys.stderr, flush=True)


def batches(lengths, budget):
    """Indices grouped longest first so that batch size × longest length stays within `budget` tokens (one
    sequence alone may pass it); each batch keeps plan order among equal lengths."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    out, current = [], []
    for i in order:
        if current and (len(current) + 1) * lengths[current[0]] > budget:
            out.append(current)
            current = []
        current.append(i)
    if current:
        out.append(current)
    return out


def padded(sequences, device):
    """Right-padded input ids [batch, longest] (pad id 0: a causal model's real positions never see it)."""
    longest = max(len(s) for s in sequences)
    ids = torch.zeros((len(sequences), longest), dtype=torch.int64)
    for b, s in enumerate(sequences):
        ids[b, :len(s)] = torch.as_tensor(s)
    return ids.to(device)


class Computation:
    """Everything a shard's documents and prompts add to the file, kept on the device until written."""

    def __init__(self, plan, model, device, progress):
        self.plan, self.model, self.device, self.progress = plan, model, device, progress
        c = model.config
        self.L, self.D, self.N = c.num_hidden_layers, c.hidden_size, c.intermediate_size
        self.options = plan.options
        self.table = torch.tensor(BIN_TABLE, dtype=torch.int64, device=device)
        self.languages = {}       # language → LanguageSums
        self.contexts = {}        # (language, layer) → TopContexts
        self.summaries = {}       # document index → {pooling: float32 [L + 1, D]}
        self.lens = {}            # prompt index → columns
        self.lens_states = {}     # prompt index → float32 [L + 1, positions, D]
        docs = plan.documents
        keys = sorted(range(len(docs)), key=lambda i: (docs[i].sha256, docs[i].language, docs[i].item_key or ""))
        self.rank = {i: r for r, i in enumerate(keys)}
        self.by_rank = [docs[i] for i in keys]
        self.tokens = 0

    def summarize(self, document):
        return document.item_key is not None or self.options.corpus_summaries

    def run_documents(self, batch_tokens):
        docs = [i for i, d in enumerate(self.plan.documents) if not d.held_out]
        for group in batches([len(self.plan.documents[i].token_ids) for i in docs], batch_tokens):
            self._document_batch([docs[g] for g in group])

    def _document_batch(self, members):
        plan, L = self.plan, self.L
        documents = [plan.documents[i] for i in members]
        lengths = [len(d.token_ids) for d in documents]
        ids = padded([d.token_ids for d in documents], self.device)
        T = ids.shape[1]
        rows = {}
        for b, d in enumerate(documents):
            rows.setdefault(d.language, []).extend(range(b * T, b * T + lengths[b]))
        rows = {g: torch.tensor(r, device=self.device) for g, r in rows.items()}
        for g in rows:
            if g not in self.languages:
                self.languages[g] = LanguageSums(L, self.N, self.D, self.device, self.options.histograms)
            self.languages[g].tokens += sum(n for d, n in zip(documents, lengths) if d.language == g)
        shape = self.options.contexts

        def receive(tap, out):
            x = out.float()
            flat = x.reshape(-1, x.shape[-1])
            if tap[0] == "act":
                layer = tap[1]
                for g, r in rows.items():
                    self.languages[g].add_activations(layer, flat.index_select(0, r), self.table)
                if shape is not None:
                    for b, d in enumerate(documents):
                        key = (d.language, layer)
                        if key not in self.contexts:
                            self.contexts[key] = TopContexts(self.N, shape.collected, self.device)
                        self.contexts[key].offer(x[b, :lengths[b]], self.rank[members[b]])
                return
            row = {"embed": 0, "final": L}.get(tap[0])
            if row is None:
                row = tap[1] + 1 if tap[1] < L - 1 else None
            if row is None:
                return
            for g, r in rows.items():
                self.languages[g].add_states(row, flat.index_select(0, r))
            for b, d in enumerate(documents):
                if self.summarize(d):
                    pooled = summaries(x[b], lengths[b])
                    store = self.summaries.setdefault(members[b], {p: torch.zeros((L + 1, self.D), device=self.device)
                                                                   for p in self.options.poolings})
                    for p in self.options.poolings:
                        store[p][row] = pooled[p]

        self._forward(ids, receive, acts=True)
        self.tokens += sum(lengths)
        self.progress.advance(sum(lengths))

    def run_prompts(self, batch_tokens, lens):
        prompts = self.plan.prompts
        for group in batches([len(p.tokens) for p in prompts], batch_tokens):
            self._prompt_batch(group, lens)

    def _prompt_batch(self, members, lens):
        L = self.L
        prompts = [self.plan.prompts[i] for i in members]
        ids = padded([p.tokens for p in prompts], self.device)
        spans = [(p.first_position, len(p.tokens) - 1) for p in prompts]
        states = [torch.zeros((L + 1, max(hi - lo, 0), self.D), device=self.device) for lo, hi in spans]

        def receive(tap, out):
            row = 0 if tap[0] == "embed" else tap[1] + 1 if tap[0] == "resid" else None
            if row is None:
                return
            for b, (lo, hi) in enumerate(spans):
                if hi > lo:
                    states[b][row] = out[b, lo:hi].float()

        self._forward(ids, receive, acts=False)
        for b, p in enumerate(prompts):
            self.lens[members[b]] = lens.columns(states[b], torch.as_tensor(p.tokens[p.first_position + 1:], device=self.device))
            if self.options.lens_states:
                self.lens_states[members[b]] = states[b].cpu().numpy()
        n = sum(len(p.tokens) for p in prompts)
        self.tokens += n
        self.progress.advance(n)

    def _forward(self, ids, receive, acts):
        taps = modelmod.Taps(self.model, receive, acts=acts)
        try:
            with torch.inference_mode():
                self.model.model(input_ids=ids, use_cache=False)
        finally:
            taps.close()


def libraries():
    import transformers
    out = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
           "numpy": np.__version__, "polylens": getattr(polylens, "__version__", "tools/python")}
    if torch.version.cuda:
        out["cuda"] = torch.version.cuda
    return out


def device_name(device):
    if device.startswith("cuda"):
        return "cuda:" + torch.cuda.get_device_name(torch.device(device))
    return "cpu"


def execute(plan_dir, shard, count, out_dir, device="cpu", dtype="float32", batch_tokens=4096, model_path=None,
            progress=True):
    """Writes RESULTDIR/result-i-of-N.polylens; returns its path and whether it was computed now."""
    out = os.path.join(out_dir, result_name(shard, count))
    if os.path.exists(out):
        if progress:
            print("execute shard %d/%d: %s exists (complete); nothing to do" % (shard, count, out), file=sys.stderr)
        return out, False
    if dtype not in modelmod.DTYPES:
        raise PlanError("--dtype must be float32, bfloat16 or float16, got %r" % dtype)
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise PlanError("--device %s: no CUDA device is available to torch %s" % (device, torch.__version__))
    if device != "cpu" and not device.startswith("cuda"):
        raise PlanError("--device must be cpu or cuda[:N], got %r" % device)
    if batch_tokens < 1:
        raise PlanError("--batch-tokens must be at least 1, got %d" % batch_tokens)
    if not os.path.isdir(out_dir):
        raise PlanError("%s: no such result directory" % out_dir)
    plan = read(locate(plan_dir, shard, count), shard, count)
    model = modelmod.load(plan, model_path, device, dtype)
    started, t0 = now(), time.monotonic()
    meter = Progress("execute shard %d/%d" % (shard, count), plan.tokens_to_compute, progress)
    work = Computation(plan, model, device, meter)
    work.run_documents(batch_tokens)
    if plan.prompts:
        work.run_prompts(batch_tokens, Lens(model, plan.token_sets, plan.options.lens_top))
    meter.advance(0, final=True)
    result = {"engine": ENGINE, "engine_version": VERSION, "device": device_name(device), "dtype": dtype,
              "libraries_json": json.dumps(libraries(), sort_keys=True), "tokens": work.tokens, "started_at": started}
    write(plan, work, model, out, result, t0)
    return out, True


def _temporary(out):
    d, name = os.path.split(out)
    host = socket.gethostname()
    prefix = ".%s.%s." % (name, host)
    for stale in os.listdir(d):
        if stale.startswith(prefix) and stale.endswith(".tmp"):
            try:
                pid = int(stale[len(prefix):-4])
                os.kill(pid, 0)
            except ProcessLookupError:
                os.unlink(os.path.join(d, stale))  # left by a killed run of this shard on this host
            except (ValueError, PermissionError, OSError):
                pass
    return os.path.join(d, "%s%d.tmp" % (prefix, os.getpid()))


def write(plan, work, model, out, result, t0):
    tmp = _temporary(out)
    shutil.copyfile(plan.path, tmp)
    try:
        f = polylens.open(tmp, write=True)
        try:
            with f.transaction():
                _fill(f, plan, work, model)
                if os.environ.get(CRASH_ENV) and not os.path.exists(os.environ[CRASH_ENV]):
                    open(os.environ[CRASH_ENV], "w").close()
                    os._exit(75)  # the test of a task killed midway: the transaction and the temp file are abandoned
                row = dict(result, plan_sha256=plan.plan_sha256, shard=plan.shard, shard_count=plan.shard_count,
                           shard_sha256=plan.shard_sha256, seconds=time.monotonic() - t0, finished_at=now())
                f.insert("shard_results", [row])
            f.db.execute("PRAGMA journal_mode = DELETE")  # a result is one self-contained file
        finally:
            f.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, out)
        dfd = os.open(os.path.dirname(out) or ".", os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _fill(f, plan, work, model):
    run, L, D, N, o = plan.run["id"], work.L, work.D, work.N, plan.options
    stamp = now()
    shuffle = "shuffle"
    ids = f.insert("documents", [{
        "run_id": run, "language": d.language, "source": d.source, "item_key": d.item_key, "sha256": d.sha256,
        "bytes": d.bytes, "tokens": len(d.token_ids), "held_out": int(d.held_out),
        "token_ids": d.token_ids.astype(np.int32) if d.held_out else None, "created_at": stamp}
        for d in plan.documents], filter={"token_ids": shuffle})
    id_by_rank = [ids[i] for i in sorted(range(len(plan.documents)), key=lambda i: work.rank[i])]
    summary_rows = []
    for index in sorted(work.summaries):
        for pooling in ("weighted", "mean", "last"):
            if pooling in work.summaries[index]:
                summary_rows.append({"document_id": ids[index], "pooling": pooling, "layers": L + 1, "dim": D,
                                     "data": work.summaries[index][pooling].cpu().numpy()})
    f.insert("summaries", summary_rows, dtypes={"data": o.summary_codec})
    stats, states, histograms = [], [], []
    for g in sorted(work.languages):
        s = work.languages[g]
        active, total, squares, peak = (t.cpu().numpy() for t in (s.active, s.sum, s.sumsq, s.max))
        for l in range(L):
            stats.append({"run_id": run, "language": g, "layer": l, "tokens": s.tokens, "neurons": N, "active": active[l],
                          "sum": total[l], "sumsq": squares[l], "max": peak[l].astype(np.float32)})
            if s.histogram is not None:
                counts = s.histogram[l].cpu().numpy()
                if counts.max(initial=0) > 2**31 - 1:
                    raise PlanError("%s: a histogram count of %s layer %d exceeds 2^31 - 1 tokens" % (plan.path, g, l))
                histograms.append({"run_id": run, "language": g, "layer": l, "neurons": N, "bins": BINS,
                                   "counts": counts.astype(np.int32).reshape(N, BINS)})
        state_sum, state_sumsq = s.state_sum.cpu().numpy(), s.state_sumsq.cpu().numpy()
        for r in range(L + 1):
            states.append({"run_id": run, "language": g, "layer": r, "tokens": s.tokens, "dim": D,
                           "sum": state_sum[r], "sumsq": state_sumsq[r]})
    f.insert("neuron_stats", stats, filter=shuffle)
    f.insert("language_states", states, filter=shuffle)
    f.insert("activation_histograms", histograms, filter=shuffle)
    _write_contexts(f, run, work, id_by_rank)
    if o.lens_states and plan.prompts and not f.db.execute("SELECT 1 FROM unembedding WHERE run_id = ?", (run,)).fetchone():
        f.insert("unembedding", [{"run_id": run, "vocab": model.config.vocab_size, "dim": D,
                                  "final_norm": model.model.norm.weight.detach().float().cpu().numpy(),
                                  "matrix": model.lm_head.weight.detach().float().cpu().numpy()}],
                 dtypes={"final_norm": "f32", "matrix": "f16"})
    for index, p in enumerate(plan.prompts):
        (pid,) = f.insert("lens_prompts", [{"run_id": run, "source": p.source, "target": p.target, "item_key": p.item_key,
                                            "tokens": p.tokens.astype(np.int32), "first_position": p.first_position,
                                            "layers": L + 1, "dim": D}], filter=shuffle)
        if o.lens_states:
            s = work.lens_states[index]
            f.insert("lens_states", [{"prompt_id": pid, "layer": l, "data": s[l]} for l in range(L + 1)],
                     dtypes={"data": "f16"})
        c = work.lens[index]
        f.insert("lens_results", [dict({"prompt_id": pid, "layers": L + 1, "positions": c["entropy"].shape[1],
                                        "top_k": o.lens_top, "sets": len(plan.token_sets)}, **c)], filter=shuffle)
    f.execute("UPDATE runs SET updated_at = ? WHERE id = ?", (stamp, run))


def _write_contexts(f, run, work, id_by_rank):
    shape = work.options.contexts
    if shape is None or not work.contexts:
        return
    rows = []
    for l in range(work.L):
        languages = sorted(g for g, layer in work.contexts if layer == l)
        if shape.per_language > 0:
            for g in languages:
                v, r, p = work.contexts[(g, l)].best(shape.per_language)
                rows.append(_context_row(run, g, l, shape, shape.per_language, v, r, p, work, id_by_rank))
        if shape.k > 0 and languages:
            merged = TopContexts(work.N, shape.k, work.device)
            for g in languages:
                t = work.contexts[(g, l)]
                merged.merge(t.value, t.rank, t.position)
            v, r, p = merged.best(shape.k)
            rows.append(_context_row(run, "*", l, shape, shape.k, v, r, p, work, id_by_rank))
    f.insert("neuron_contexts", rows, dtypes={"value": "f32"}, filter="shuffle")


def _context_row(run, scope, layer, shape, k, v, r, p, work, id_by_rank):
    value, document, position, tokens = context_table(v, r, p, shape.before, shape.after, work.by_rank, id_by_rank)
    return {"run_id": run, "scope": scope, "layer": layer, "neurons": work.N, "k": k, "before": shape.before,
            "after": shape.after, "value": value, "document": document, "position": position, "tokens": tokens}
