#!/usr/bin/env python3
"""Golden token ids for the byte-level BPE tests, generated once with the reference libraries.

- llama3-paper-snippets.txt: tiktoken (built offline from ../shared/models/llama3/tokenizer.model with
  Llama 3's pattern and special tokens, as Meta's tokenizer.py does) over the `snippet` and `comment`
  fields of every paper snippet in ../shared/data/paper/code_snippets.
- bytelevel-hf/{llama3-style,gpt2-style}.json + bytelevel-hf-snippets.txt: two small byte-level BPE
  tokenizer.json files trained here with `tokenizers` on the paper snippets (Llama-3 layout: Split with
  Llama 3's regex, ByteLevel without regex, ignore_merges; GPT-2 layout: ByteLevel with its regex), and their
  ids on every `snippet` (there is no byte-level tokenizer.json in ../shared).
- polycode-hf-snippets.txt: the Hugging Face `tokenizers` package over the same texts with
  ../shared/models/polycode/tokenizer.json (Metaspace, as shipped) and with the same model rewritten in the
  older Llama-2 layout (normalizer Prepend "▁" + Replace " " → "▁", no pre-tokenizer), which the Swift
  test builds the same way.

One line per text: `language/file.json<TAB>field<TAB>ids` (polycode: shipped ids, then the legacy layout's
ids or `=` where they are the same), ids as unsigned LEB128 varints in base64,
so the fixtures stay small. Texts are read from ../shared in place by the tests.

Usage: python3 tools/make_bpe_goldens.py [--shared ../shared]
"""
import argparse, base64, glob, json, os

FIELDS = ("snippet", "comment")
LLAMA3_PATTERN = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
NAMED = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
         "<|finetune_right_pad_id|>", "<|step_id|>", "<|start_header_id|>", "<|end_header_id|>",
         "<|eom_id|>", "<|eot_id|>", "<|python_tag|>", "<|image|>"]


def varints(ids):
    out = bytearray()
    for v in ids:
        while True:
            b = v & 0x7F
            v >>= 7
            out.append(b | (0x80 if v else 0))
            if not v:
                break
    return base64.b64encode(bytes(out)).decode()


def texts(shared):
    root = os.path.join(shared, "data/paper/code_snippets")
    for path in sorted(glob.glob(os.path.join(root, "*/*.json"))):
        rel = os.path.relpath(path, root)
        d = json.load(open(path, encoding="utf-8"))
        for f in FIELDS:
            if isinstance(d.get(f), str):
                yield rel, f, d[f]


def llama3(shared):
    import tiktoken
    ranks = {}
    for line in open(os.path.join(shared, "models/llama3/tokenizer.model"), "rb"):
        if line.strip():
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    names = NAMED + [f"<|reserved_special_token_{2 + i}|>" for i in range(256 - len(NAMED))]
    specials = {n: len(ranks) + i for i, n in enumerate(names)}
    return tiktoken.Encoding("llama3", pat_str=LLAMA3_PATTERN, mergeable_ranks=ranks, special_tokens=specials)


def legacy_layout(spec):
    """polycode's tokenizer.json rewritten the way Llama 2 files were written before Metaspace prepend_scheme."""
    spec = dict(spec)
    spec["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]}
    spec["pre_tokenizer"] = None
    return spec


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--shared", default=os.path.join(here, "../../shared"))
    args = ap.parse_args()
    fixtures = os.path.join(here, "../Tests/PolylensTokenizerTests/Fixtures")
    items = list(texts(args.shared))

    enc = llama3(args.shared)
    with open(os.path.join(fixtures, "llama3-paper-snippets.txt"), "w") as f:
        for rel, field, text in items:
            ids = enc.encode(text, allowed_special=set(), disallowed_special=())
            assert enc.decode(ids) == text
            f.write(f"{rel}\t{field}\t{varints(ids)}\n")

    from tokenizers import Tokenizer, Regex, decoders, models, pre_tokenizers, trainers
    snippets = [(rel, text) for rel, field, text in items if field == "snippet"]
    os.makedirs(os.path.join(fixtures, "bytelevel-hf"), exist_ok=True)
    trained = []
    for name, pre, ignore in [
        ("llama3-style", pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), True),
        ("gpt2-style", pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True), False),
    ]:
        tok = Tokenizer(models.BPE(ignore_merges=ignore))
        tok.pre_tokenizer = pre
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(vocab_size=2000, show_progress=False,
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                      special_tokens=["<|begin_of_text|>", "<|end_of_text|>"])
        tok.train_from_iterator([t for _, t in snippets], trainer)
        tok.add_tokens(["<added>"])
        tok.save(os.path.join(fixtures, "bytelevel-hf", name + ".json"))
        trained.append(tok)
    with open(os.path.join(fixtures, "bytelevel-hf-snippets.txt"), "w") as f:
        for rel, text in snippets:
            cols = [varints(t.encode(text, add_special_tokens=False).ids) for t in trained]
            f.write(f"{rel}\tsnippet\t" + "\t".join(cols) + "\n")

    spec = json.load(open(os.path.join(args.shared, "models/polycode/tokenizer.json"), encoding="utf-8"))
    shipped = Tokenizer.from_str(json.dumps(spec))
    legacy = Tokenizer.from_str(json.dumps(legacy_layout(spec)))
    with open(os.path.join(fixtures, "polycode-hf-snippets.txt"), "w") as f:
        for rel, field, text in items:
            a = shipped.encode(text, add_special_tokens=False).ids
            b = legacy.encode(text, add_special_tokens=False).ids
            f.write(f"{rel}\t{field}\t{varints(a)}\t{'=' if a == b else varints(b)}\n")
    print(f"{len(items)} texts")


if __name__ == "__main__":
    main()
