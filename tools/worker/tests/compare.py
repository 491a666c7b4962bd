"""Comparisons of two Polylens files table by table, with the parity tolerances of issue 13: LAPE counts equal
except near-zero flips (at most 0.01% of counts), moments within 1e-6 relative, lens readings within float32
softmax rounding. Every function returns nothing and raises AssertionError naming the table."""
import numpy as np

import polylens


def rows(path, table, order):
    with polylens.open(path) as f:
        return f.rows(table, "1 ORDER BY " + order)


def documents(a, b):
    x, y = rows(a, "documents", "id"), rows(b, "documents", "id")
    for c in ("id", "language", "source", "item_key", "sha256", "bytes", "tokens", "held_out"):
        assert list(x[c]) == list(y[c]), "documents.%s differ" % c
    for u, v in zip(x["token_ids"], y["token_ids"]):
        assert (u is None and v is None) or np.array_equal(u, v), "documents.token_ids differ"


def moments(total_a, total_b, squares_a, squares_b, tokens, what, rel=1e-6):
    """Per (language, layer) row: ‖Δ‖ within rel of ‖·‖ for the sums of squares, and for the sums within rel of
    ‖sqrt(n · Σa²)‖ (a bound on Σ|a|, since a sum can cancel to ~0); every single element within 10 × rel (two
    float32 forward passes differ by float32 rounding through the layers, ~1e-6 of an activation)."""
    scale = np.sqrt(np.asarray(tokens, np.float64)[..., None] * np.maximum(squares_a, 0)) + 1e-300
    for name, a, b, s in (("sums", total_a, total_b, scale), ("sums of squares", squares_a, squares_b, np.abs(squares_a) + 1e-300)):
        row = np.linalg.norm(a - b, axis=-1) / np.linalg.norm(s, axis=-1)
        assert np.all(row <= rel), "%s %s differ by %g (row norm)" % (what, name, row.max())
        element = np.abs(a - b) / s
        assert np.all(element <= 10 * rel), "%s %s differ by %g (one element)" % (what, name, element.max())


def neuron_stats(a, b, flips=1e-4, rel=1e-6):
    x, y = rows(a, "neuron_stats", "language, layer"), rows(b, "neuron_stats", "language, layer")
    assert list(x["language"]) == list(y["language"]) and list(x["layer"]) == list(y["layer"]), "neuron_stats rows differ"
    assert np.array_equal(x["tokens"], y["tokens"]), "neuron_stats.tokens differ"
    active_a, active_b = np.stack(x["active"]), np.stack(y["active"])
    changed = np.abs(active_a - active_b).sum()
    assert changed <= flips * active_a.sum(), "LAPE counts differ in %d of %d" % (changed, active_a.sum())
    moments(np.stack(x["sum"]), np.stack(y["sum"]), np.stack(x["sumsq"]), np.stack(y["sumsq"]), x["tokens"], "neuron_stats", rel)
    np.testing.assert_allclose(np.stack(x["max"]), np.stack(y["max"]), rtol=1e-5, atol=1e-6, err_msg="neuron_stats.max")
    return changed, active_a.sum()


def language_states(a, b, rel=1e-6):
    x, y = rows(a, "language_states", "language, layer"), rows(b, "language_states", "language, layer")
    assert list(x["language"]) == list(y["language"]) and np.array_equal(x["tokens"], y["tokens"]), "language_states rows differ"
    moments(np.stack(x["sum"]), np.stack(y["sum"]), np.stack(x["sumsq"]), np.stack(y["sumsq"]), x["tokens"], "language_states", rel)


def summaries(a, b):
    x, y = rows(a, "summaries", "document_id, pooling"), rows(b, "summaries", "document_id, pooling")
    assert list(x["document_id"]) == list(y["document_id"]) and list(x["pooling"]) == list(y["pooling"]), "summaries rows differ"
    for u, v in zip(x["data"], y["data"]):
        # f16 storage: values within two f16 steps of each other.
        np.testing.assert_allclose(np.asarray(u, np.float32), np.asarray(v, np.float32), rtol=2e-3, atol=1e-4,
                                   err_msg="summaries.data")


def histograms(a, b, flips=1e-4):
    x, y = rows(a, "activation_histograms", "language, layer"), rows(b, "activation_histograms", "language, layer")
    assert list(x["language"]) == list(y["language"]) and list(x["layer"]) == list(y["layer"]), "histogram rows differ"
    ca, cb = np.stack(x["counts"]).astype(np.int64), np.stack(y["counts"]).astype(np.int64)
    assert np.array_equal(ca.sum(-1), cb.sum(-1)), "histogram totals differ"
    moved = np.abs(ca - cb).sum() // 2
    assert moved <= flips * ca.sum(), "histograms differ in %d of %d counts" % (moved, ca.sum())


def contexts(a, b, agree=0.95):
    """Values within float32 rounding; the same (document, position) at ≥ `agree` of the slots. Documents sharing a
    prefix have bit-identical activations there in one engine (an exact tie, broken by sha256); another engine or
    another batch puts ~1e-7 between them, which may break the tie the other way."""
    x, y = rows(a, "neuron_contexts", "scope, layer"), rows(b, "neuron_contexts", "scope, layer")
    for c in ("scope", "layer", "neurons", "k", "before", "after"):
        assert list(x[c]) == list(y[c]), "neuron_contexts.%s differ" % c
    same = total = 0
    for k in range(len(x["scope"])):
        va, vb = np.asarray(x["value"][k]), np.asarray(y["value"][k])
        assert np.array_equal(np.isnan(va), np.isnan(vb)), "neuron_contexts: filled slots differ"
        # A near tie may pick another context at one slot; values still agree to float32 rounding of O(1) activations.
        np.testing.assert_allclose(va, vb, rtol=1e-4, atol=1e-5, err_msg="neuron_contexts.value")
        key_a = np.stack([x["document"][k], x["position"][k]], -1)
        key_b = np.stack([y["document"][k], y["position"][k]], -1)
        same += int(np.all(key_a == key_b, -1).sum())
        total += va.size
        both = np.all(key_a == key_b, -1)
        assert np.array_equal(np.asarray(x["tokens"][k])[both], np.asarray(y["tokens"][k])[both]), "context windows differ"
    assert same >= agree * total, "contexts at the same place: %d of %d" % (same, total)


def lens(a, b):
    x, y = rows(a, "lens_results", "prompt_id"), rows(b, "lens_results", "prompt_id")
    px, py = rows(a, "lens_prompts", "id"), rows(b, "lens_prompts", "id")
    for c in ("source", "target", "item_key", "first_position", "layers", "dim"):
        assert list(px[c]) == list(py[c]), "lens_prompts.%s differ" % c
    assert all(np.array_equal(u, v) for u, v in zip(px["tokens"], py["tokens"])), "lens_prompts.tokens differ"
    for c in ("prompt_id", "layers", "positions", "top_k", "sets"):
        assert list(x[c]) == list(y[c]), "lens_results.%s differ" % c
    ranks = ranks_same = tops = tops_same = 0
    for k in range(len(x["prompt_id"])):
        for c, tol in (("correct_probability", 1e-5), ("entropy", 1e-4), ("set_mass", 1e-5), ("top_probabilities", 1e-5)):
            np.testing.assert_allclose(x[c][k], y[c][k], atol=tol, rtol=1e-4, err_msg="lens_results.%s" % c)
        ranks += x["correct_rank"][k].size
        ranks_same += int((x["correct_rank"][k] == y["correct_rank"][k]).sum())
        tops += x["top_ids"][k].size
        tops_same += int((x["top_ids"][k] == y["top_ids"][k]).sum())
    assert ranks_same >= 0.999 * ranks and tops_same >= 0.99 * tops, "lens ranks %d/%d, top ids %d/%d agree" % (
        ranks_same, ranks, tops_same, tops)


def shard_result(path):
    with polylens.open(path) as f:
        r = f.rows("shard_results", "1")
    assert len(r["engine"]) == 1, "%s: %d shard_results rows" % (path, len(r["engine"]))
    return {c: (v[0] if not isinstance(v, list) else v[0]) for c, v in r.items()}


def all_tables(a, b):
    documents(a, b)
    flipped = neuron_stats(a, b)
    language_states(a, b)
    summaries(a, b)
    histograms(a, b)
    contexts(a, b)
    lens(a, b)
    return flipped
