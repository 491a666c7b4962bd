"""A shard plan as the worker executes it: the run row, the options its parameters ask for, the planned
documents and prompts and the run's token sets, read through the polylens package. A parameter this worker
does not know refuses the plan before anything is computed (as `polylens execute` does)."""
import json
import os
import re
from dataclasses import dataclass, field

import numpy as np

import polylens

# Keys that decided the plan (corpus, budgets, held-out split, prompts): already in the planned token ids.
PLANNING_KEYS = {"corpus", "max_doc_tokens", "held_out", "held_out_tokens", "max_tokens_per_language", "prompts",
                 "lens_items", "lens_languages", "lens_words", "lens_keywords", "history"}
POOLINGS = ("weighted", "mean", "last")
HISTOGRAM_BINS = 40
MIN_SCHEMA = 6


class PlanError(Exception):
    """A plan this worker cannot run, or bad arguments: one line naming the file and the problem."""


def plan_name(shard, count):
    return "plan-%05d-of-%05d.polylens" % (shard, count)


def result_name(shard, count):
    return "result-%05d-of-%05d.polylens" % (shard, count)


def parse_shard(text):
    """`i/N` → (i, N) with 0 ≤ i < N."""
    m = re.fullmatch(r"(\d+)/(\d+)", text or "")
    if not m or int(m.group(2)) < 1 or int(m.group(1)) >= int(m.group(2)):
        raise PlanError("--shard must be i/N with 0 <= i < N, got %r" % (text,))
    return int(m.group(1)), int(m.group(2))


@dataclass
class ContextShape:
    k: int
    per_language: int
    before: int
    after: int

    @property
    def collected(self):
        return max(self.k, self.per_language)


@dataclass
class Options:
    """What the executor honours (FORMAT.md documents each key)."""
    poolings: tuple = POOLINGS
    corpus_summaries: bool = False
    summary_codec: str = "f16"
    lens_top: int = 10
    lens_states: bool = False
    histograms: bool = False
    contexts: ContextShape = None

    @staticmethod
    def from_parameters(text, path):
        def refuse(why):
            return PlanError("%s: this worker cannot run the plan: %s" % (path, why))
        try:
            p = json.loads(text)
        except ValueError as e:
            raise refuse("parameters_json is not JSON (%s)" % e) from None
        if not isinstance(p, dict):
            raise refuse("parameters_json is not an object")
        o = Options()

        def integer(key, low=0):
            v = p[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise refuse("parameter %s is %r, not an integer >= %d" % (key, v, low))
            return v

        def boolean(key):
            if not isinstance(p[key], bool):
                raise refuse("parameter %s is %r, not true or false" % (key, p[key]))
            return p[key]

        for key in sorted(p):
            if key in PLANNING_KEYS:
                continue
            if key == "bos":
                if p[key] is not True:
                    raise refuse("bos is %r; Polylens runs BOS-first token ids" % (p[key],))
            elif key in ("batch_documents", "batch_tokens"):
                integer(key, 1)  # commit granularity of the Swift executor; a result shard is one transaction
            elif key == "summaries":
                names = p[key]
                if not isinstance(names, list) or not names or any(n not in POOLINGS for n in names) \
                        or len(set(names)) != len(names):
                    raise refuse("summaries %r is not a list of distinct poolings (weighted, mean, last)" % (names,))
                o.poolings = tuple(names)
            elif key == "corpus_summaries":
                o.corpus_summaries = boolean(key)
            elif key == "summary_codec":
                if p[key] not in ("f16", "q8_0"):
                    raise refuse("summary_codec %r is not f16 or q8_0" % (p[key],))
                o.summary_codec = p[key]
            elif key == "lens_top":
                o.lens_top = integer(key, 1)
            elif key == "lens_states":
                o.lens_states = boolean(key)
            elif key == "activation_histograms":
                if integer(key) != HISTOGRAM_BINS:
                    raise refuse("activation_histograms asks for %r bins; this worker counts %d" % (p[key], HISTOGRAM_BINS))
                o.histograms = True
            elif key == "top_contexts":
                c = p[key]
                names = {"k", "per_language", "before", "after"}
                if not isinstance(c, dict) or set(c) != names or any(
                        isinstance(c[n], bool) or not isinstance(c[n], int) or c[n] < 0 for n in names):
                    raise refuse("top_contexts %r is not {k, per_language, before, after}" % (c,))
                o.contexts = ContextShape(c["k"], c["per_language"], c["before"], c["after"])
                if o.contexts.collected == 0:
                    o.contexts = None
            else:
                raise refuse("unknown parameter %s (written by a newer Polylens?)" % key)
        return o


@dataclass
class PlannedDocument:
    ordinal: int
    language: str
    source: str
    item_key: object
    sha256: str
    bytes: int
    held_out: bool
    token_ids: np.ndarray


@dataclass
class PlannedPrompt:
    ordinal: int
    source: str
    target: str
    item_key: str
    tokens: np.ndarray
    first_position: int


@dataclass
class ShardPlan:
    path: str
    shard: int
    shard_count: int
    plan_sha256: str
    shard_sha256: str
    tokens: int
    run: dict
    architecture: dict
    options: Options
    documents: list = field(default_factory=list)
    prompts: list = field(default_factory=list)
    token_sets: list = field(default_factory=list)  # [(name, int32 ids)] in ordinal order

    @property
    def tokens_to_compute(self):
        return sum(len(d.token_ids) for d in self.documents if not d.held_out) + sum(len(p.tokens) for p in self.prompts)


def locate(plan_dir, shard, count):
    """The plan file of shard i/N in PLANDIR; refuses a missing one."""
    path = os.path.join(plan_dir, plan_name(shard, count))
    if not os.path.isfile(path):
        present = sorted(n for n in os.listdir(plan_dir) if n.startswith("plan-")) if os.path.isdir(plan_dir) else []
        raise PlanError("%s: no such shard plan (%s)" % (path, "plans here: " + ", ".join(present[:3]) + (", ..." if len(present) > 3 else "")
                                                         if present else "no plan-*.polylens in %s" % plan_dir))
    return path


def read(path, shard, count):
    """Reads and checks a shard plan; every problem is one PlanError line naming the file."""
    try:
        f = polylens.open(path)
    except (polylens.PolylensError, FileNotFoundError) as e:
        raise PlanError(str(e)) from None
    except Exception as e:  # sqlite3.DatabaseError and friends: a damaged file
        raise PlanError("%s: unreadable (%s)" % (path, e)) from None
    try:
        return _read(f, path, shard, count)
    except polylens.PolylensError as e:
        raise PlanError(str(e)) from None
    except PlanError:
        raise
    except Exception as e:
        raise PlanError("%s: unreadable shard plan (%s: %s)" % (path, type(e).__name__, e)) from None
    finally:
        f.close()


def _read(f, path, shard, count):
    if f.version < MIN_SCHEMA or "shard_plan" not in f.tables():
        raise PlanError("%s: not a shard plan (schema version %d, no shard_plan table)" % (path, f.version))
    rows = f.db.execute("SELECT plan_sha256, shard, shard_count, shard_sha256, tokens FROM shard_plan").fetchall()
    if len(rows) != 1:
        raise PlanError("%s: holds %d shard_plan rows, not one" % (path, len(rows)))
    plan_sha, s, n, shard_sha, tokens = rows[0]
    if (s, n) != (shard, count):
        raise PlanError("%s: is shard %d/%d, not %d/%d" % (path, s, n, shard, count))
    if "shard_results" in f.tables() and f.db.execute("SELECT count(*) FROM shard_results").fetchone()[0]:
        raise PlanError("%s: is a result shard already, not a plan" % path)
    if f.db.execute("SELECT count(*) FROM documents").fetchone()[0] or f.db.execute("SELECT count(*) FROM lens_prompts").fetchone()[0]:
        raise PlanError("%s: holds computed documents or prompts already, not a fresh plan" % path)
    runs = f.db.execute("SELECT id, model_path, model_format, model_sha256, tokenizer_path, architecture_json, "
                        "parameters_json FROM runs").fetchall()
    if len(runs) != 1:
        raise PlanError("%s: holds %d runs, not one" % (path, len(runs)))
    run = dict(zip(("id", "model_path", "model_format", "model_sha256", "tokenizer_path", "architecture_json",
                    "parameters_json"), runs[0]))
    try:
        architecture = json.loads(run["architecture_json"])
    except ValueError as e:
        raise PlanError("%s: architecture_json is not JSON (%s)" % (path, e)) from None
    plan = ShardPlan(path, s, n, plan_sha, shard_sha, tokens, run, architecture,
                     Options.from_parameters(run["parameters_json"], path))
    vocab = int(architecture.get("vocab_size", 0))
    d = f.rows("planned_documents", "1 ORDER BY ordinal")
    for k in range(len(d["ordinal"])):
        ids = np.asarray(d["token_ids"][k], np.int64).ravel()
        doc = PlannedDocument(int(d["ordinal"][k]), d["language"][k], d["source"][k], d["item_key"][k],
                              d["sha256"][k], int(d["bytes"][k]), bool(d["held_out"][k]), ids)
        _check_ids(path, "planned document %d (%s)" % (doc.ordinal, doc.source), ids, vocab)
        plan.documents.append(doc)
    p = f.rows("planned_prompts", "1 ORDER BY ordinal")
    for k in range(len(p["ordinal"])):
        ids = np.asarray(p["tokens"][k], np.int64).ravel()
        prompt = PlannedPrompt(int(p["ordinal"][k]), p["source"][k], p["target"][k], p["item_key"][k], ids,
                               int(p["first_position"][k]))
        _check_ids(path, "planned prompt %d" % prompt.ordinal, ids, vocab)
        if not 0 <= prompt.first_position < len(ids):
            raise PlanError("%s: planned prompt %d has first_position %d outside its %d tokens"
                            % (path, prompt.ordinal, prompt.first_position, len(ids)))
        plan.prompts.append(prompt)
    t = f.rows("token_sets", "run_id = ? ORDER BY ordinal", (run["id"],))
    for k in range(len(t["ordinal"])):
        ids = np.asarray(t["token_ids"][k], np.int64).ravel()
        _check_ids(path, "token set %s" % t["name"][k], ids, vocab, empty_ok=True)
        plan.token_sets.append((t["name"][k], ids))
    if plan.prompts and not plan.token_sets and "lens_top" not in json.loads(run["parameters_json"]):
        raise PlanError("%s: plans lens prompts but its run has no lens parameters" % path)
    if plan.tokens_to_compute != tokens:
        raise PlanError("%s: shard_plan says %d tokens to compute, the planned documents and prompts hold %d"
                        % (path, tokens, plan.tokens_to_compute))
    return plan


def _check_ids(path, what, ids, vocab, empty_ok=False):
    if not empty_ok and ids.size == 0:
        raise PlanError("%s: %s has no tokens" % (path, what))
    if ids.size and (ids.min() < 0 or (vocab and ids.max() >= vocab)):
        raise PlanError("%s: %s has token id %d outside the vocabulary of %d"
                        % (path, what, int(ids.min() if ids.min() < 0 else ids.max()), vocab))
