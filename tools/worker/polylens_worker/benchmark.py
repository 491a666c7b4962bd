"""Throughput of the worker on a synthetic Llama of a given shape (random bf16 weights, written once as a Hugging
Face checkpoint and loaded back as a plan's model would be), against a same-run torch matmul of the MLP shape:

    python -m polylens_worker.benchmark --shape codellama-7b --layers 4 --device cuda --dtype bfloat16

Everything the worker does per token is measured (forward pass, taps, neuron statistics, histograms, top
contexts, hidden-state sums and summaries); only the file write is left out. FLOP per token counts the matmuls:
2 × (attention and MLP weights) per layer plus 2 × 2 × position × dim for the causal attention scores and
values (the mean position is (T − 1) / 2), and the unembedding is not run at ingest."""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import torch

from . import model as modelmod
from .executor import Computation, Progress
from .shard_plan import ContextShape, Options, PlannedDocument, ShardPlan

SHAPES = {
    # CodeLlama-7B: hidden 4096, MLP 11008, 32 heads (no GQA), vocab 32016, 32 layers.
    "codellama-7b": dict(hidden_size=4096, intermediate_size=11008, num_attention_heads=32, num_key_value_heads=32,
                         vocab_size=32016, num_hidden_layers=32, max_position_embeddings=16384, rope_theta=1e6),
    # The shared polycode model's shape: a quick run of the same code on CPU.
    "polycode": dict(hidden_size=192, intermediate_size=512, num_attention_heads=6, num_key_value_heads=3,
                     vocab_size=4096, num_hidden_layers=4, max_position_embeddings=1024),
}


def write_checkpoint(directory, shape, layers, dtype):
    """A random-weight Llama of `shape` with `layers` layers, saved as safetensors + config.json."""
    from transformers import LlamaConfig, LlamaForCausalLM
    cfg = dict(SHAPES[shape], num_hidden_layers=layers)
    config = LlamaConfig(**cfg, rms_norm_eps=1e-5, tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(0)
    with torch.device("cpu"):
        model = LlamaForCausalLM(config).to(modelmod.DTYPES[dtype])
    model.save_pretrained(directory, safe_serialization=True)
    return config


def synthetic_plan(path, config, documents, tokens, options):
    rng = np.random.default_rng(0)
    docs = []
    for i in range(documents):
        ids = rng.integers(3, config.vocab_size, tokens)
        ids[0] = 1
        docs.append(PlannedDocument(i, "L%d" % (i % 4), "doc%d" % i, None, "%064x" % i, tokens * 4, False, ids))
    arch = {"n_layers": config.num_hidden_layers, "dim": config.hidden_size, "hidden_dim": config.intermediate_size,
            "vocab_size": config.vocab_size, "n_heads": config.num_attention_heads}
    run = {"id": 1, "model_path": path, "model_format": "huggingface", "model_sha256": ""}
    return ShardPlan(path, 0, 1, "", "", documents * tokens, run, arch, options, docs, [], [])


def flop_per_token(config, tokens):
    d, f, L = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    kv = config.num_key_value_heads * (d // config.num_attention_heads)
    weights = d * d * 2 + d * kv * 2 + 3 * d * f
    return L * (2 * weights + 2 * 2 * d * (tokens - 1) / 2)


def matmul_tflops(device, dtype, m, k, n, seconds=3.0):
    """torch's rate for [m, k] × [k, n] in dtype on device (TFLOP/s), the best of repeated timings."""
    a = torch.randn(m, k, device=device).to(modelmod.DTYPES[dtype])
    b = torch.randn(k, n, device=device).to(modelmod.DTYPES[dtype])
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)
    for _ in range(3):
        a @ b
    sync()
    best, t_end = float("inf"), time.monotonic() + seconds
    while time.monotonic() < t_end:
        t = time.monotonic()
        for _ in range(10):
            a @ b
        sync()
        best = min(best, (time.monotonic() - t) / 10)
    return 2 * m * k * n / best / 1e12


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m polylens_worker.benchmark")
    p.add_argument("--shape", choices=sorted(SHAPES), default="codellama-7b")
    p.add_argument("--layers", type=int, default=4, help="layers of the synthetic model (per-layer cost is uniform)")
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", choices=sorted(modelmod.DTYPES), default="bfloat16")
    p.add_argument("--documents", type=int, default=16)
    p.add_argument("--tokens", type=int, default=2048, help="tokens per document")
    p.add_argument("--batch-tokens", type=int, default=16384)
    p.add_argument("--no-activity", action="store_true", help="without histograms and top contexts")
    p.add_argument("--checkpoint", help="directory to write/reuse the synthetic checkpoint in")
    args = p.parse_args(argv)
    directory = args.checkpoint or tempfile.mkdtemp(prefix="polylens-synthetic-")
    from transformers import LlamaConfig, LlamaForCausalLM
    if not os.path.exists(os.path.join(directory, "config.json")):
        write_checkpoint(directory, args.shape, args.layers, args.dtype)
    config = LlamaConfig.from_pretrained(directory)
    model = LlamaForCausalLM.from_pretrained(directory, dtype=modelmod.DTYPES[args.dtype]).eval().to(args.device)
    options = Options(histograms=not args.no_activity,
                      contexts=None if args.no_activity else ContextShape(16, 4, 8, 4))
    plan = synthetic_plan(directory, config, args.documents, args.tokens, options)
    sync = torch.cuda.synchronize if args.device.startswith("cuda") else (lambda: None)
    warm = synthetic_plan(directory, config, 2, args.tokens, options)
    Computation(warm, model, args.device, Progress("warm-up", 0, False)).run_documents(args.batch_tokens)
    sync()
    t = time.monotonic()
    work = Computation(plan, model, args.device, Progress("benchmark", plan.tokens, True))
    work.run_documents(args.batch_tokens)
    for s in work.languages.values():
        s.sum.cpu()
    sync()
    seconds = time.monotonic() - t
    rate = work.tokens / seconds
    achieved = rate * flop_per_token(config, args.tokens) / 1e12
    reference = matmul_tflops(args.device, args.dtype, args.batch_tokens, config.hidden_size, config.intermediate_size)
    out = {"shape": args.shape, "layers": config.num_hidden_layers, "device": args.device, "dtype": args.dtype,
           "documents": args.documents, "tokens_per_document": args.tokens, "batch_tokens": args.batch_tokens,
           "neuron_activity": not args.no_activity, "tokens": work.tokens, "seconds": round(seconds, 3),
           "tokens_per_second": round(rate, 1),
           "tokens_per_second_32_layers": round(rate * config.num_hidden_layers / 32, 1),
           "achieved_tflops": round(achieved, 2), "matmul_tflops": round(reference, 2),
           "fraction_of_matmul": round(achieved / reference, 3)}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
