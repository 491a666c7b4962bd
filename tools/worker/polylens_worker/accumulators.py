"""Reductions of one batch's taps into what ingest stores, on the model's device, in the arithmetic of the Swift
accumulators (Sources/PolylensIngest/*Accumulator*.swift): float64 sums and sums of squares, a > 0 counts,
float32 maxima, the fixed activation bins (ActivationBins.swift) and top contexts in ContextOrder. A batch is
right-padded; only the rows of real tokens (`rows`) are ever read, so padding reaches no statistic."""
import numpy as np
import torch


def _activation_bin_table():
    """ActivationBins.table: the bin of every value of a float's top ten bits (sign, exponent, first mantissa bit)."""
    t = []
    for index in range(1024):
        slot = index & 511
        if index < 512:
            t.append(11 if slot == 0 else 12 if slot < 240 else min(13 + slot - 240, 39))
        else:
            t.append(11 if slot < 240 else max(10 - (slot - 240), 0))
    return t


BIN_TABLE = _activation_bin_table()
BINS = 40


def activation_bins(a, table):
    """The bin of every float32 value of `a` (ActivationBins.bin: a table lookup on bits >> 22, plus one for the
    positive values that share +0's slot: bits 1…0x3FFFFF)."""
    bits = a.contiguous().view(torch.int32).to(torch.int64) & 0xFFFFFFFF
    return table[bits >> 22] + (((bits - 1) & 0xFFFFFFFF) < 0x3FFFFF).to(torch.int64)


class LanguageSums:
    """One language's neuron statistics (tokens, active, sum, sumsq, max per layer × neuron), hidden-state sums
    (layers + 1 rows × dim) and, when asked, activation histograms (layer × neuron × 40)."""

    def __init__(self, layers, neurons, dim, device, histograms):
        z = lambda *s, dtype=torch.float64: torch.zeros(s, dtype=dtype, device=device)
        self.tokens = 0
        self.active = z(layers, neurons, dtype=torch.int64)
        self.sum, self.sumsq = z(layers, neurons), z(layers, neurons)
        self.max = torch.full((layers, neurons), float("-inf"), dtype=torch.float32, device=device)
        self.state_sum, self.state_sumsq = z(layers + 1, dim), z(layers + 1, dim)
        self.histogram = z(layers, neurons * BINS, dtype=torch.int64) if histograms else None

    def add_activations(self, layer, a, table):
        """a: float32 [rows, neurons], this language's real tokens of the batch."""
        d = a.double()
        self.active[layer] += (a > 0).sum(0)
        self.sum[layer] += d.sum(0)
        self.sumsq[layer] += (d * d).sum(0)
        self.max[layer] = torch.maximum(self.max[layer], a.amax(0))
        if self.histogram is not None:
            n = a.shape[1]
            flat = activation_bins(a, table) + BINS * torch.arange(n, device=a.device)
            self.histogram[layer] += torch.bincount(flat.reshape(-1), minlength=n * BINS)

    def add_states(self, row, h):
        d = h.double()
        self.state_sum[row] += d.sum(0)
        self.state_sumsq[row] += (d * d).sum(0)


def summaries(h, length):
    """The three poolings of one document's hidden-state row, h: [length, dim] (positions 0..length-1):
    Σ t·h_t / Σ t with t = 1..T, the plain mean, and the last state (float32 as computed)."""
    d = h[:length].double()
    t = torch.arange(1, length + 1, dtype=torch.float64, device=h.device)
    weighted = (t[:, None] * d).sum(0) / (length * (length + 1) / 2)
    return {"weighted": weighted.float(), "mean": (d.sum(0) / length).float(), "last": h[length - 1].float()}


def _ordered_key(a):
    """int64 keys whose order is a's float order (−0 = +0), for exact top-k with a tie rule."""
    bits = (a + 0.0).contiguous().view(torch.int32).to(torch.int64)
    return torch.where(bits >= 0, bits, bits ^ 0x7FFFFFFF)


class TopContexts:
    """The best `k` contexts per neuron of one (language, layer) in ContextOrder: value descending, then the
    document's rank (its (sha256, language, item_key) order in the shard) and the position ascending. BOS is
    never a context. Kept on the device as value / rank / position [neurons, k]; empty slots have rank −1."""

    def __init__(self, neurons, k, device):
        self.k = k
        self.value = torch.full((neurons, k), float("-inf"), dtype=torch.float32, device=device)
        self.rank = torch.full((neurons, k), -1, dtype=torch.int64, device=device)
        self.position = torch.full((neurons, k), -1, dtype=torch.int64, device=device)

    def offer(self, a, rank):
        """a: float32 [positions 0..T-1, neurons] of one document of rank `rank`."""
        if a.shape[0] < 2:
            return
        v = a[1:]
        take = min(self.k, v.shape[0])
        # Value descending, then position ascending, as one exact int64 key.
        key = (_ordered_key(v) << 32) | (0xFFFFFFFF - torch.arange(1, a.shape[0], device=a.device))[:, None]
        top = torch.topk(key, take, dim=0).indices  # [take, neurons]
        value = torch.gather(v, 0, top).T
        position = (top + 1).T
        self.merge(value, torch.full_like(position, rank), position)

    def merge(self, value, rank, position):
        v = torch.cat([self.value, value], 1)
        r = torch.cat([self.rank, rank], 1)
        p = torch.cat([self.position, position], 1)
        # Lexicographic by stable sorts, least significant key first; empty slots (rank −1) sort last.
        order = torch.argsort(p, dim=1, stable=True)
        order = torch.gather(order, 1, torch.argsort(torch.gather(torch.where(r < 0, r.max() + 1, r), 1, order), dim=1, stable=True))
        order = torch.gather(order, 1, torch.argsort(-torch.gather(torch.where(r < 0, float("-inf"), v), 1, order).double(),
                                                     dim=1, stable=True))
        order = order[:, :self.k]
        self.value, self.rank, self.position = (torch.gather(x, 1, order) for x in (v, r, p))

    def best(self, k):
        """numpy (value, rank, position) of the first k slots; rank −1 marks an empty one."""
        return (self.value[:, :k].cpu().numpy(), self.rank[:, :k].cpu().numpy(), self.position[:, :k].cpu().numpy())


def context_table(value, rank, position, before, after, documents, ids):
    """The neuron_contexts blobs of one (scope, layer): value f32 (NaN pad), document i64 (0 pad), position i32 (−1 pad),
    tokens i32 [neurons, k, before + 1 + after] (−1 outside a document). `documents[rank]` is the document with that
    rank (its `token_ids`), `ids[rank]` its documents.id."""
    n, k = value.shape
    w = before + 1 + after
    used = rank >= 0
    out_value = np.where(used, value, np.nan).astype(np.float32)
    out_document = np.zeros((n, k), np.int64)
    out_position = np.where(used, position, -1).astype(np.int32)
    tokens = np.full((n, k, w), -1, np.int32)
    for i, j in zip(*np.nonzero(used)):
        r, p = int(rank[i, j]), int(position[i, j])
        out_document[i, j] = ids[r]
        t = documents[r].token_ids
        lo, hi = p - before, p + after + 1
        a, b = max(lo, 0), min(hi, len(t))
        tokens[i, j, a - lo:b - lo] = t[a:b]
    return out_value, out_document, out_position, tokens
