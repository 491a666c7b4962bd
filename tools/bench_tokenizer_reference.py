#!/usr/bin/env python3
"""Same-run reference for `polylens bench tokenizer`: sentencepiece (Llama 2 tokenizer.model) and tiktoken
(Llama 3 ranks) on the same corpus rule: the *.py files under a directory, sorted by relative path (UTF-8
byte order), until at least N bytes; each file encoded as one text; one thread; fastest of R passes.

Usage: python3 tools/bench_tokenizer_reference.py [DIR] [BYTES] [REPEATS]
"""
import base64
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("POLYLENS_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")


def corpus(directory, budget):
    files = []
    for dirpath, _, names in os.walk(directory):
        files += [os.path.relpath(os.path.join(dirpath, n), directory) for n in names if n.endswith(".py")]
    files.sort(key=lambda p: p.encode("utf-8", "surrogateescape"))
    texts, total = [], 0
    for f in files:
        if total >= budget:
            break
        data = open(os.path.join(directory, f), "rb").read()
        try:
            texts.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            continue
        total += len(data)
    return texts, total


def timed(encode, texts, repeats):
    tokens = sum(len(encode(t)) for t in texts)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for t in texts:
            encode(t)
        best = min(best, time.perf_counter() - start)
    return tokens, best


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "/usr/lib/python3.11"
    budget = int(sys.argv[2]) if len(sys.argv) > 2 else 1_700_000
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    texts, total = corpus(directory, budget)
    print(f"corpus: {len(texts)} files, {total} bytes of *.py from {directory}; 1 thread, best of {repeats}")

    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=os.path.join(SHARED, "models/llama2c/tokenizer.model"))
    tokens, best = timed(sp.encode, texts, repeats)
    print(f"sentencepiece (Llama 2): {total / 1e6 / best:.2f} MB/s, {tokens} tokens, {best:.3f} s per pass")

    import tiktoken
    ranks = {}
    with open(os.path.join(SHARED, "models/llama3/tokenizer.model"), "rb") as f:
        for line in f:
            if line.strip():
                token, rank = line.split()
                ranks[base64.b64decode(token)] = int(rank)
    enc = tiktoken.Encoding("llama3", pat_str=LLAMA3_PATTERN, mergeable_ranks=ranks, special_tokens={})
    tokens, best = timed(enc.encode_ordinary, texts, repeats)
    print(f"tiktoken (Llama 3): {total / 1e6 / best:.2f} MB/s, {tokens} tokens, {best:.3f} s per pass")


if __name__ == "__main__":
    main()
