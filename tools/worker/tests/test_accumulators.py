"""The worker's reductions against independent numpy references: the activation bins from the documented
edges (FORMAT.md "Activation histograms"), top contexts by a full sort in ContextOrder, and the poolings."""
import numpy as np
import pytest
import torch

from polylens_worker.accumulators import BIN_TABLE, BINS, LanguageSums, TopContexts, activation_bins, summaries


def reference_edges():
    """The 41 edges as FORMAT.md states them: SiLU's minimum, −{1, 1.5}·2^e from −0.25 down to −2⁻⁷, 0, then
    +{1, 1.5}·2^e from 2⁻⁷ up to 64, and +∞."""
    def magnitude(slot):
        return (1.0 if slot % 2 == 0 else 1.5) * 2.0 ** (slot // 2 - 127)
    return np.array([-0.27846454] + [-magnitude(251 - b) for b in range(1, 11)] + [-magnitude(240), 0.0]
                    + [magnitude(240 + j) for j in range(27)] + [np.inf], np.float64)


def reference_bin(a, edges):
    """Negative bins (lower, upper], bin 0 open below; positive bins [lower, upper), bin 39 open above; NaN → 39."""
    a = np.asarray(a, np.float64)
    out = np.where(a <= 0, np.searchsorted(edges[1:13], a, side="left"),
                   12 + np.searchsorted(edges[13:40], a, side="right"))
    return np.where(np.isnan(a), 39, out)


def test_edges_are_the_documented_ones():
    e = reference_edges()
    assert len(e) == BINS + 1 and e[1] == -0.25 and e[11] == -2.0 ** -7 and e[12] == 0 and e[13] == 2.0 ** -7 and e[39] == 64


def test_bins_match_the_edges():
    rng = np.random.default_rng(1)
    edges = reference_edges()
    finite = edges[np.isfinite(edges)].astype(np.float32)
    values = np.concatenate([
        rng.standard_normal(20000).astype(np.float32) * 3,
        rng.uniform(-0.3, 0.3, 20000).astype(np.float32),
        np.exp(rng.uniform(-30, 5, 20000)).astype(np.float32) * rng.choice([-1, 1], 20000),
        finite, np.nextafter(finite, np.float32(np.inf)), np.nextafter(finite, np.float32(-np.inf)),
        np.array([0.0, -0.0, 1e-45, -1e-45, 1e-40, 2.0 ** -127 * 0.75, 200.0, np.inf, -np.inf, np.nan], np.float32)]).astype(np.float32)
    table = torch.tensor(BIN_TABLE)
    got = activation_bins(torch.from_numpy(values), table).numpy()
    want = reference_bin(values, edges)
    # −inf is below SiLU's range: the table puts it in bin 0 like any a ≤ −0.25.
    assert np.array_equal(got, want), values[got != want][:10]
    real = ~np.isnan(values)
    assert np.array_equal(got[real] >= 12, values[real] > 0)


def test_the_smallest_denormal_outside_zeros_slot_gets_the_documented_bin():
    """2^-127 (bits 0x400000) is the first value past +0's slot of the table: bin 12, as the edges say (Swift put it
    in 13 until its fix-up was corrected to bits 1...0x3FFFFF; ActivationBinsTests checks every slot there)."""
    x = torch.tensor([2.0 ** -127, 2.0 ** -149, 0.0], dtype=torch.float32)
    assert x[0].view(torch.int32).item() == 0x400000
    got = activation_bins(x, torch.tensor(BIN_TABLE)).tolist()
    assert got == reference_bin(x.numpy(), reference_edges()).tolist(), got


def test_language_sums_match_numpy():
    rng = np.random.default_rng(2)
    a = (rng.standard_normal((300, 64)) * 0.5).astype(np.float32)
    a[5, 7] = 0.0
    s = LanguageSums(2, 64, 8, "cpu", histograms=True)
    table = torch.tensor(BIN_TABLE)
    s.add_activations(1, torch.from_numpy(a[:100]), table)
    s.add_activations(1, torch.from_numpy(a[100:]), table)
    d = a.astype(np.float64)
    assert np.array_equal(s.active[1].numpy(), (a > 0).sum(0))
    np.testing.assert_allclose(s.sum[1].numpy(), d.sum(0), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(s.sumsq[1].numpy(), (d * d).sum(0), rtol=1e-12)
    assert np.array_equal(s.max[1].numpy(), a.max(0)) and np.all(np.isinf(s.max[0].numpy()))
    counts = s.histogram[1].numpy().reshape(64, BINS)
    bins = reference_bin(a, reference_edges())
    want = np.stack([np.bincount(bins[:, n], minlength=BINS) for n in range(64)])
    assert np.array_equal(counts, want) and counts.sum() == 300 * 64


def test_top_contexts_follow_context_order():
    """Value descending, then document rank, then position; BOS never; ties exact (values repeat on purpose)."""
    rng = np.random.default_rng(3)
    k, neurons = 5, 16
    t = TopContexts(neurons, k, "cpu")
    candidates = []
    for rank, length in [(2, 30), (0, 12), (1, 1), (3, 40)]:
        a = np.round(rng.standard_normal((length, neurons)), 1).astype(np.float32)  # many ties
        t.offer(torch.from_numpy(a), rank)
        candidates += [(float(a[p, n]), rank, p, n) for p in range(1, length) for n in range(neurons)]
    value, rank, position = t.best(k)
    for n in range(neurons):
        want = sorted((c for c in candidates if c[3] == n), key=lambda c: (-c[0], c[1], c[2]))[:k]
        assert [(float(v), int(r), int(p)) for v, r, p in zip(value[n], rank[n], position[n])] == [w[:3] for w in want]


def test_top_contexts_with_fewer_tokens_than_k():
    t = TopContexts(3, 4, "cpu")
    t.offer(torch.tensor([[9.0, 9.0, 9.0], [1.0, -1.0, 0.5], [2.0, -2.0, 0.5]]), 0)
    value, rank, position = t.best(4)
    assert rank[:, 2:].tolist() == [[-1, -1]] * 3
    assert value[0, :2].tolist() == [2.0, 1.0] and position[0, :2].tolist() == [2, 1]
    assert position[2, :2].tolist() == [1, 2]  # equal values: the earlier position first


def test_summaries_match_numpy():
    rng = np.random.default_rng(4)
    h = rng.standard_normal((20, 6)).astype(np.float32)
    got = summaries(torch.from_numpy(h), 13)
    d, t = h[:13].astype(np.float64), np.arange(1, 14, dtype=np.float64)
    np.testing.assert_allclose(got["weighted"].numpy(), (t[:, None] * d).sum(0) / t.sum(), rtol=1e-6)
    np.testing.assert_allclose(got["mean"].numpy(), d.mean(0), rtol=1e-6)
    assert np.array_equal(got["last"].numpy(), h[12])
