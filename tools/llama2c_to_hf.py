#!/usr/bin/env python3
"""Convert a llama2.c checkpoint (legacy v0) into a Hugging Face Llama directory.

Writes config.json and model.safetensors (F32 or BF16) with numpy alone, applying the q/k row
permutation of transformers' convert_llama_weights_to_hf.py, so that HF's rotate-half RoPE computes
what llama2.c's interleaved RoPE computes. Written independently of Polylens' Swift writer: the tests
compare the two.

usage: llama2c_to_hf.py SRC.bin OUT_DIR [--dtype f32|bf16]
"""
import argparse
import json
import os
import struct
import sys

import numpy as np


def read_llama2c(path):
    with open(path, "rb") as f:
        raw = f.read()
    dim, hidden, n_layers, n_heads, n_kv_heads, vocab, seq_len = struct.unpack("<7i", raw[:28])
    shared = vocab > 0
    vocab = abs(vocab)
    head = dim // n_heads
    kv_dim = n_kv_heads * head
    data = np.frombuffer(raw, dtype="<f4", offset=28)
    pos = 0

    def take(*shape):
        nonlocal pos
        n = int(np.prod(shape))
        if pos + n > data.size:
            sys.exit(f"{path}: truncated")
        t = data[pos:pos + n].reshape(shape)
        pos += n
        return t

    w = {"tok_embeddings": take(vocab, dim)}
    w["attention_norm"] = take(n_layers, dim)
    w["wq"] = take(n_layers, dim, dim)
    w["wk"] = take(n_layers, kv_dim, dim)
    w["wv"] = take(n_layers, kv_dim, dim)
    w["wo"] = take(n_layers, dim, dim)
    w["ffn_norm"] = take(n_layers, dim)
    w["w1"] = take(n_layers, hidden, dim)
    w["w2"] = take(n_layers, dim, hidden)
    w["w3"] = take(n_layers, hidden, dim)
    w["norm"] = take(dim)
    take(seq_len * head)  # freq_cis_real and freq_cis_imag, unused
    if not shared:
        w["output"] = take(vocab, dim)
    cfg = dict(dim=dim, hidden=hidden, n_layers=n_layers, n_heads=n_heads, n_kv_heads=n_kv_heads,
               vocab=vocab, seq_len=seq_len, shared=shared)
    return cfg, w


def permute(w, n_heads):
    """transformers' permute(): (n_heads, d/2, 2, cols) -> transpose(1, 2) -> (rows, cols)."""
    rows, cols = w.shape
    return w.reshape(n_heads, rows // n_heads // 2, 2, cols).transpose(0, 2, 1, 3).reshape(rows, cols)


def to_bf16(x):
    """Round-to-nearest-even f32 -> bf16 bits, NaN as 0x7FC0 (PyTorch's rule)."""
    bits = np.ascontiguousarray(x, dtype="<f4").view("<u4").astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")
    rounded[np.isnan(x)] = 0x7FC0
    return rounded


def write_safetensors(path, tensors, dtype):
    """tensors: {name: f32 array}. Names sorted, header padded with spaces to 8 bytes (as safetensors does)."""
    st_dtype = {"f32": "F32", "bf16": "BF16"}[dtype]
    blobs, header, offset = [], ['"__metadata__":{"format":"pt"}'], 0
    for name in sorted(tensors):
        t = tensors[name]
        blob = np.ascontiguousarray(t, dtype="<f4").tobytes() if dtype == "f32" else to_bf16(t).tobytes()
        shape = ",".join(str(d) for d in t.shape)
        header.append(f'"{name}":{{"dtype":"{st_dtype}","shape":[{shape}],"data_offsets":[{offset},{offset + len(blob)}]}}')
        offset += len(blob)
        blobs.append(blob)
    text = ("{" + ",".join(header) + "}").encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".partial"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    args = ap.parse_args()

    c, w = read_llama2c(args.src)
    t = {"model.embed_tokens.weight": w["tok_embeddings"], "model.norm.weight": w["norm"]}
    for l in range(c["n_layers"]):
        p = f"model.layers.{l}."
        t[p + "input_layernorm.weight"] = w["attention_norm"][l]
        t[p + "self_attn.q_proj.weight"] = permute(w["wq"][l], c["n_heads"])
        t[p + "self_attn.k_proj.weight"] = permute(w["wk"][l], c["n_kv_heads"])
        t[p + "self_attn.v_proj.weight"] = w["wv"][l]
        t[p + "self_attn.o_proj.weight"] = w["wo"][l]
        t[p + "post_attention_layernorm.weight"] = w["ffn_norm"][l]
        t[p + "mlp.gate_proj.weight"] = w["w1"][l]
        t[p + "mlp.down_proj.weight"] = w["w2"][l]
        t[p + "mlp.up_proj.weight"] = w["w3"][l]
    if not c["shared"]:
        t["lm_head.weight"] = w["output"]

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": c["dim"],
        "intermediate_size": c["hidden"],
        "num_hidden_layers": c["n_layers"],
        "num_attention_heads": c["n_heads"],
        "num_key_value_heads": c["n_kv_heads"],
        "head_dim": c["dim"] // c["n_heads"],
        "vocab_size": c["vocab"],
        "max_position_embeddings": c["seq_len"],
        "rms_norm_eps": 1e-05,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "tie_word_embeddings": c["shared"],
        "hidden_act": "silu",
        "attention_bias": False,
        "mlp_bias": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "torch_dtype": {"f32": "float32", "bf16": "bfloat16"}[args.dtype],
    }
    os.makedirs(args.out, exist_ok=True)
    write_safetensors(os.path.join(args.out, "model.safetensors"), t, args.dtype)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
