#!/usr/bin/env python3
"""Golden token ids for the SentencePiece tests, made once with the `sentencepiece` package.

Texts: every paper snippet (`snippet` of ../shared/data/paper/code_snippets/<Lang>/<id>.json, files in
sorted order), then the `comment` of every C file (the paper's English side), in sorted order.
For each tokenizer model, one fixture line per text: `<Lang>/<id> <s|c>\t<ids separated by spaces>`
(s = snippet, c = comment), ids from `SentencePieceProcessor.encode(text)` (dummy prefix, no BOS).

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


if __name__ == "__main__":
    main()
