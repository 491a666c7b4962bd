"""The plan's model in PyTorch: a Hugging Face Llama checkpoint loaded with transformers, checked against the
sha256 the plan recorded (config.json, then the safetensors files in sorted order, as Swift's FileDigest), and
hooked at the taps of the Swift engine (Sources/PolylensEngine/Tap.swift):

    embed      embed_tokens output                      (hook_embed)
    resid l    output of decoder layer l                (blocks.l.hook_resid_post)
    act l      mlp.act_fn output = SiLU(gate_proj · x)  (blocks.l.mlp.hook_act)
    final      model.norm output                        (ln_final.hook_normalized)
"""
import hashlib
import json
import os

import torch

from .shard_plan import PlanError

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(4 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def checkpoint_files(directory):
    """config.json, then the safetensors files (one, or the index's files sorted), as the Swift loader lists them."""
    single = os.path.join(directory, "model.safetensors")
    index = os.path.join(directory, "model.safetensors.index.json")
    if os.path.isfile(single):
        shards = [single]
    elif os.path.isfile(index):
        with open(index) as f:
            shards = [os.path.join(directory, n) for n in sorted(set(json.load(f)["weight_map"].values()))]
    else:
        raise PlanError("%s: no model.safetensors or model.safetensors.index.json" % directory)
    return [os.path.join(directory, "config.json")] + shards


def checkpoint_sha256(directory):
    files = checkpoint_files(directory)
    if len(files) == 1:
        return file_sha256(files[0])
    return ",".join("%s=%s" % (os.path.basename(p), file_sha256(p)) for p in files)


def load(plan, model_path=None, device="cpu", dtype="float32"):
    """The plan's model on `device` in `dtype`, after checking format, sha256 and architecture."""
    run = plan.run
    if run["model_format"] != "huggingface":
        raise PlanError("%s: the plan's model is %s; this worker loads Hugging Face checkpoints only (use polylens execute)"
                        % (plan.path, run["model_format"]))
    path = model_path or run["model_path"]
    if not os.path.isdir(path):
        raise PlanError("%s: the plan's model %s is not a directory here (pass --model)" % (plan.path, path))
    digest = checkpoint_sha256(path)
    if digest != run["model_sha256"]:
        raise PlanError("%s: model %s has sha256 %s, the plan was made for %s"
                        % (plan.path, path, digest[:16], run["model_sha256"][:16]))
    from transformers import LlamaForCausalLM
    model = LlamaForCausalLM.from_pretrained(path, dtype=DTYPES[dtype], attn_implementation="sdpa")
    model.eval().to(device)
    c, a = model.config, plan.architecture
    ours = {"n_layers": c.num_hidden_layers, "dim": c.hidden_size, "hidden_dim": c.intermediate_size,
            "vocab_size": c.vocab_size, "n_heads": c.num_attention_heads}
    wrong = ["%s %s (plan: %s)" % (k, v, a.get(k)) for k, v in ours.items() if a.get(k) != v]
    if wrong:
        raise PlanError("%s: model %s does not have the plan's architecture: %s" % (plan.path, path, ", ".join(wrong)))
    return model


class Taps:
    """Forward hooks that hand each tapped tensor [batch, positions, width] to `receive(tap, tensor)` while the
    forward pass runs, so no layer's activations outlive their reduction. Taps: ("embed",), ("resid", l),
    ("act", l), ("final",)."""

    def __init__(self, model, receive, acts=True):
        inner = model.model
        layers = list(inner.layers)
        self.handles = []

        def hook(tap):
            def run(module, inputs, output):
                receive(tap, output[0] if isinstance(output, tuple) else output)
            return run

        self.handles.append(inner.embed_tokens.register_forward_hook(hook(("embed",))))
        for l, layer in enumerate(layers):
            self.handles.append(layer.register_forward_hook(hook(("resid", l))))
        if acts:
            fns = [layer.mlp.act_fn for layer in layers]
            if len({id(f) for f in fns}) != len(fns):
                raise PlanError("the model's layers share one activation module; its taps would be ambiguous")
            for l, fn in enumerate(fns):
                self.handles.append(fn.register_forward_hook(hook(("act", l))))
        self.handles.append(inner.norm.register_forward_hook(hook(("final",))))

    def close(self):
        for h in self.handles:
            h.remove()
