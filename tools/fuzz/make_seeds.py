#!/usr/bin/env python3
"""Seed corpora for the fuzz harnesses, from the real files in ../shared (never copied into the repository).

    make_seeds.py SHARED OUT     # writes OUT/<harness>/... ; run.sh calls it

Small real files are linked as they are; large ones are cut down to small files of the same format built
from their real bytes (a safetensors file with polycode's norm weights, an index over them, blobs of real
weights encoded the way Schema/FORMAT.md says, with the python lz4 package as an independent encoder).
"""
import json
import os
import struct
import sys
import zlib

import lz4.block


def link(out, harness, *paths):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    for p in paths:
        target = os.path.join(d, os.path.basename(os.path.dirname(p)) + "-" + os.path.basename(p))
        if not os.path.lexists(target):
            os.symlink(os.path.abspath(p), target)


def write(out, harness, name, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def small_safetensors(path, limit=6):
    """The real header's smallest tensors with their real bytes, offsets rebased, header padded to 8."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        entries = sorted((k, v) for k, v in header.items() if k != "__metadata__")
        entries.sort(key=lambda kv: kv[1]["data_offsets"][1] - kv[1]["data_offsets"][0])
        new, blobs, offset = {}, [], 0
        for name, v in entries[:limit]:
            b, e = v["data_offsets"]
            f.seek(base + b)
            blobs.append(f.read(e - b))
            new[name] = {"dtype": v["dtype"], "shape": v["shape"], "data_offsets": [offset, offset + e - b]}
            offset += e - b
    if "__metadata__" in header:
        new["__metadata__"] = header["__metadata__"]
    text = json.dumps(new).encode()
    text += b" " * (-(len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(blobs), new


def blob(values, dtype_code, fmt, shape):
    raw = struct.pack("<%d%s" % (len(values), fmt), *values)
    head = b"PLB1" + bytes([dtype_code, len(shape), 0, 0]) + struct.pack("<%dQ" % len(shape), *shape)
    return head + struct.pack("<Q", len(raw)) + lz4.block.compress(raw, store_size=False) + struct.pack(
        "<I", zlib.crc32(raw))


def main():
    shared, out = sys.argv[1], sys.argv[2]
    m = lambda *p: os.path.join(shared, "models", *p)
    link(out, "gguf", m("gguf", "stories260K-f32.gguf"))
    # stories260K's 512 pieces: llama.cpp's 32,000-piece vocabularies take seconds per run under ASan.
    link(out, "gguf_vocab", m("gguf", "stories260K-f32.gguf"))
    link(out, "hf_config", m("polycode", "config.json"), m("polycode", "tokenizer_config.json"),
         m("polycode", "generation_config.json"))
    link(out, "llama2c", m("llama2c", "stories260K.bin"))
    # The small vocabularies: a 32,000-piece one takes a second per run under ASan, too slow to mutate.
    link(out, "sentencepiece", m("llama2c", "tok512.model"), m("polycode", "tokenizer.model"))
    link(out, "llama2c_tokenizer", m("llama2c", "tok512.bin"))
    link(out, "tokenizer_json", m("polycode", "tokenizer.json"))
    # The paper's code snippets, as the text they hold.
    snippets = os.path.join(shared, "data", "paper", "code_snippets")
    for lang in sorted(os.listdir(snippets)):
        for f in sorted(os.listdir(os.path.join(snippets, lang)))[:3]:
            with open(os.path.join(snippets, lang, f)) as j:
                write(out, "encode", lang + "-" + f.replace(".json", ".txt"), json.load(j)["code"].encode())
    # Llama 3's rank file is 2 MB; its first 2,000 lines are a real, smaller rank file (all 256 bytes come first).
    with open(m("llama3", "tokenizer.model"), "rb") as f:
        write(out, "tiktoken", "llama3-first2000.tiktoken", b"".join(f.readline() for _ in range(2000)))
    st, header = small_safetensors(m("polycode", "model.safetensors"))
    write(out, "safetensors", "polycode-small.safetensors", st)
    index = {"metadata": {"total_size": len(st)}, "weight_map": {k: "model.safetensors" for k in header if k != "__metadata__"}}
    write(out, "hf_index", "model.safetensors.index.json", json.dumps(index, indent=2).encode())
    # Blobs of real weights (the first norm vector of polycode) in every dtype, plus an empty one.
    n = struct.unpack("<Q", st[:8])[0]
    name = next(k for k in header if k != "__metadata__" and header[k]["dtype"] == "F32")
    b, e = header[name]["data_offsets"]
    floats = list(struct.unpack("<%df" % ((e - b) // 4), st[8 + n + b:8 + n + e]))
    write(out, "blob", "f32.blob", blob(floats, 2, "f", [len(floats)]))
    write(out, "blob", "f64.blob", blob(floats, 3, "d", [2, len(floats) // 2]))
    write(out, "blob", "f16.blob", blob(floats, 1, "e", [len(floats)]))
    write(out, "blob", "i64.blob", blob([int(x * 1000) for x in floats], 4, "q", [len(floats)]))
    write(out, "blob", "i32.blob", blob([int(x * 1000) for x in floats], 5, "i", [len(floats)]))
    write(out, "blob", "empty.blob", blob([], 2, "f", [0]))


if __name__ == "__main__":
    main()
