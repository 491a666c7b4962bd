"""The logit lens of one prompt (METHODS.md §1, Sources/PolylensEngine/LensDecoder.swift) in float32 logits with
float64 softmax sums: p_l = softmax(W_U · RMSNorm_final(h_l)) at every layer row and position, read as the
columns lens_results stores."""
import torch


class Lens:
    """The final norm and unembedding in float32 (whatever dtype the model runs in) and the token-set matrix."""

    def __init__(self, model, token_sets, top_k):
        self.weight = model.model.norm.weight.detach().float()
        self.eps = float(model.config.rms_norm_eps)
        self.matrix = model.lm_head.weight.detach().float()
        vocab = self.matrix.shape[0]
        self.top_k = top_k
        # Membership counts [vocab, sets]: a set's mass is Σ over its ids (an id listed twice counts twice, as in Swift).
        self.sets = torch.zeros((vocab, len(token_sets)), dtype=torch.float64, device=self.matrix.device)
        for s, (_, ids) in enumerate(token_sets):
            if len(ids):
                idx = torch.as_tensor(ids, device=self.matrix.device)
                self.sets[:, s].index_add_(0, idx, torch.ones(len(ids), dtype=torch.float64, device=idx.device))

    def logits(self, h):
        """h: float32 [rows, dim] → float32 [rows, vocab] (RMS in float64, as Unembedding.logits)."""
        d = h.double()
        inv = torch.rsqrt((d * d).mean(1, keepdim=True) + self.eps).float()
        return (h * inv * self.weight) @ self.matrix.T

    def columns(self, states, next_ids):
        """states: float32 [layers, positions, dim]; next_ids: int64 [positions]. Returns numpy columns shaped as
        the file stores them: top_ids i32 / top_probabilities f32 [layers, positions, k], correct_probability f32,
        correct_rank i32, entropy f32 [layers, positions], set_mass f32 [layers, positions, sets]."""
        layers, positions, dim = states.shape
        k, sets = self.top_k, self.sets.shape[1]
        rows = layers * positions
        z = self.logits(states.reshape(rows, dim))
        m = z.amax(1, keepdim=True)
        shifted = z - m
        e = torch.exp(shifted.double())
        total = e.sum(1)
        correct = next_ids.repeat(layers)
        zc = torch.gather(z, 1, correct[:, None])
        top = torch.argsort(z, dim=1, descending=True, stable=True)[:, :k]  # ties: the lower id first
        out = {
            "top_ids": top.to(torch.int32),
            "top_probabilities": (torch.gather(e, 1, top) / total[:, None]).float(),
            "correct_probability": (torch.gather(e, 1, correct[:, None])[:, 0] / total).float(),
            "correct_rank": ((z > zc).sum(1) + 1).to(torch.int32),
            "entropy": (torch.log(total) - (e * shifted.double()).sum(1) / total).float(),
            "set_mass": ((e @ self.sets) / total[:, None]).float(),
        }
        shapes = {"top_ids": (layers, positions, k), "top_probabilities": (layers, positions, k),
                  "correct_probability": (layers, positions), "correct_rank": (layers, positions),
                  "entropy": (layers, positions), "set_mass": (layers, positions, sets)}
        return {name: v.reshape(shapes[name]).cpu().numpy() for name, v in out.items()}
