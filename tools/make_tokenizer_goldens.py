#!/usr/bin/env python3
"""Golden token ids for the SentencePiece tests, made once with the `sentencepiece` package.

Texts: every paper snippet (`snippet` of ../shared/data/paper/code_snippets/<Lang>/<id>.json, files in
sorted order), then the `comment` of every C file (the paper's English side), in sorted order.
For each tokenizer model, one fixture line per text: `<Lang>/<id> <s|c>\t<ids separated by spaces>`
(s = snippet, c = comment), ids from `SentencePieceProcessor.encode(text)` (dummy prefix, no BOS).

A second fixture checks USER_DEFINED and UNUSED pieces, which none of the shared models has: tok512.model with
a few piece types changed (rewritten in the protobuf, see TYPE_CHANGES), over the lines of textwrap16k.txt and
the stories260K sample. Its first line lists the changes; then one line per text: `<JSON text>\t<ids>`.

A third fixture covers the baichuan GGUF vocabulary, for which llama.cpp-vocab has no expected ids: its tokens,
scores and types are written back into a SentencePiece ModelProto (BPE, byte fallback, identity normalizer with
the GGUF's add_space_prefix) and sentencepiece encodes the llama.cpp conformance inputs and the Python snippets.

Usage: python3 tools/make_tokenizer_goldens.py   (from the repository root; ../shared beside it)
"""
import glob
import json
import os
import sys

import sentencepiece as spm

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("POLYLENS_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
OUT = os.path.join(ROOT, "Tests", "PolylensTokenizerTests", "Fixtures")
MODELS = {
    "spm-llama2-snippets.txt": "models/llama2c/tokenizer.model",
    "spm-polycode-snippets.txt": "models/polycode/tokenizer.model",
}


# tok512 piece id -> new type (4 USER_DEFINED, 5 UNUSED)
TYPE_CHANGES = {260: 4, 299: 4, 266: 5, 273: 5, 308: 5}


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def put_varint(v):
    out = bytearray()
    while True:
        if v < 0x80:
            out.append(v)
            return bytes(out)
        out.append((v & 0x7F) | 0x80)
        v >>= 7


def with_types(model, changes):
    """The ModelProto with the `type` of some pieces replaced (pieces are field 1, type is their field 3)."""
    out, i, index = bytearray(), 0, 0
    while i < len(model):
        start = i
        key, i = varint(model, i)
        assert key & 7 == 2, "ModelProto fields are length-delimited"
        n, i = varint(model, i)
        body = model[i:i + n]
        i += n
        if key >> 3 == 1:
            if index in changes:
                kept, j = bytearray(), 0
                while j < len(body):
                    fstart = j
                    fkey, j = varint(body, j)
                    if fkey & 7 == 0:
                        _, j = varint(body, j)
                    elif fkey & 7 == 5:
                        j += 4
                    else:
                        m, j = varint(body, j)
                        j += m
                    if fkey >> 3 != 3:
                        kept += body[fstart:j]
                body = bytes(kept) + bytes([0x18, changes[index]])
                out += bytes([0x0A]) + put_varint(len(body)) + body
            else:
                out += model[start:i]
            index += 1
        else:
            out += model[start:i]
    return bytes(out)


def types_fixture():
    import tempfile
    model = open(os.path.join(SHARED, "models/llama2c/tok512.model"), "rb").read()
    with tempfile.NamedTemporaryFile(suffix=".model") as f:
        f.write(with_types(model, TYPE_CHANGES))
        f.flush()
        sp = spm.SentencePieceProcessor(model_file=f.name)
    for i, t in TYPE_CHANGES.items():
        assert (sp.is_unused(i) if t == 5 else not sp.is_unused(i)), i
    lines = []
    for rel in ("data/text/textwrap16k.txt", "models/llama2c/stories260K.expected-greedy-200.txt"):
        with open(os.path.join(SHARED, rel), encoding="utf-8") as f:
            lines += [l for l in f.read().split("\n") if l.strip()]
    path = os.path.join(OUT, "spm-tok512-types.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("# " + " ".join(f"{i}:{t}" for i, t in TYPE_CHANGES.items()) + "\n")
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False) + "\t" + " ".join(map(str, sp.encode(line))) + "\n")
    print(f"{path}: {len(lines)} texts, {os.path.getsize(path)} bytes", file=sys.stderr)


def gguf_metadata(path):
    """The metadata of a GGUF v2/v3 file (little-endian), as a dict."""
    import struct
    b = open(path, "rb").read()
    assert b[:4] == b"GGUF", path
    off = 4
    def u(fmt):
        nonlocal off
        v = struct.unpack_from("<" + fmt, b, off)
        off += struct.calcsize("<" + fmt)
        return v[0]
    def string():
        nonlocal off
        n = u("Q")
        v = b[off:off + n].decode("utf-8", "surrogateescape")
        off += n
        return v
    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
    def value(t):
        if t == 8:
            return string()
        if t == 9:
            et, n = u("I"), u("Q")
            return [value(et) for _ in range(n)]
        return u(scalar[t])
    _, _, n_kv = u("I"), u("Q"), u("Q")
    meta = {}
    for _ in range(n_kv):
        key = string()
        meta[key] = value(u("I"))
    return meta


def model_proto_from_gguf(meta):
    """A SentencePiece BPE ModelProto with the GGUF's pieces (only the fields encoding depends on)."""
    import struct
    def field(num, payload):
        return put_varint(num << 3 | 2) + put_varint(len(payload)) + payload
    def vint(num, v):
        return put_varint(num << 3) + put_varint(v & 0xFFFFFFFFFFFFFFFF)
    out = bytearray()
    for text, score, typ in zip(meta["tokenizer.ggml.tokens"], meta["tokenizer.ggml.scores"],
                                meta["tokenizer.ggml.token_type"]):
        piece = field(1, text.encode("utf-8")) + put_varint(2 << 3 | 5) + struct.pack("<f", score) + vint(3, typ)
        out += field(1, piece)
    types = meta["tokenizer.ggml.token_type"]
    unk = types.index(2)
    trainer = (vint(3, 2) + vint(35, 1 if 6 in types else 0) + vint(40, unk)
               + vint(41, meta.get("tokenizer.ggml.bos_token_id", -1)) + vint(42, meta.get("tokenizer.ggml.eos_token_id", -1))
               + vint(43, -1))
    out += field(2, trainer)
    normalizer = (field(1, b"identity") + vint(3, 1 if meta.get("tokenizer.ggml.add_space_prefix", True) else 0)
                  + vint(4, 1 if meta.get("tokenizer.ggml.remove_extra_whitespaces", False) else 0) + vint(5, 1))
    out += field(3, normalizer)
    return bytes(out)


def baichuan_fixture():
    import tempfile
    vocab = os.path.join(SHARED, "models/llama.cpp-vocab/ggml-vocab-baichuan.gguf")
    with tempfile.NamedTemporaryFile(suffix=".model") as f:
        f.write(model_proto_from_gguf(gguf_metadata(vocab)))
        f.flush()
        sp = spm.SentencePieceProcessor(model_file=f.name)
    inp = open(vocab + ".inp" if os.path.exists(vocab + ".inp") else
               os.path.join(SHARED, "models/llama.cpp-vocab/ggml-vocab-llama-spm.gguf.inp"), encoding="utf-8").read()
    items = inp.split("\n__ggml_vocab_test__\n") + [t for k, t in texts() if k.startswith("Python/")]
    path = os.path.join(OUT, "spm-baichuan.txt")
    with open(path, "w", encoding="utf-8") as f:
        for text in items:
            f.write(json.dumps(text, ensure_ascii=False) + "\t" + " ".join(map(str, sp.encode(text))) + "\n")
    print(f"{path}: {len(items)} texts, {os.path.getsize(path)} bytes", file=sys.stderr)


def texts():
    base = os.path.join(SHARED, "data", "paper", "code_snippets")
    files = sorted(os.path.relpath(p, base) for p in glob.glob(os.path.join(base, "*", "*.json")))
    out = []
    for field, tag, langs in (("snippet", "s", None), ("comment", "c", {"C"})):
        for rel in files:
            lang = rel.split(os.sep)[0]
            if langs is not None and lang not in langs:
                continue
            with open(os.path.join(base, rel), encoding="utf-8") as f:
                out.append((rel[: -len(".json")] + " " + tag, json.load(f)[field]))
    return out


def main():
    items = texts()
    for name, model in MODELS.items():
        sp = spm.SentencePieceProcessor(model_file=os.path.join(SHARED, model))
        path = os.path.join(OUT, name)
        with open(path, "w", encoding="utf-8") as f:
            for key, text in items:
                f.write(key + "\t" + " ".join(map(str, sp.encode(text))) + "\n")
        print(f"{path}: {len(items)} texts, {os.path.getsize(path)} bytes", file=sys.stderr)
    types_fixture()
    baichuan_fixture()


if __name__ == "__main__":
    main()
