#!/usr/bin/env bash
# Every GPU check of issue 13 in one go on a machine with an NVIDIA GPU (about 8 minutes on an H200):
#  1. parity: the worker in float32 on cuda against the worker in float32 on cpu, shard by shard, on the same
#     polycode plan (every table within the parity tolerances of tests/compare.py);
#  2. throughput: the worker in bfloat16 on a synthetic CodeLlama-7B-shaped checkpoint (random weights, written
#     here; 4 of its 32 layers, since every layer costs the same: tokens/s is also given scaled to 32 layers),
#     with and without histograms and top contexts, as TFLOP/s and as a fraction of a same-run torch bf16 matmul
#     of the MLP shape ([batch tokens, 4096] × [4096, 11008]).
# Usage: tools/worker/gpu_check.sh [PLANDIR]   (default: a plan made with the built polylens, or
#        tools/worker/gpu_plan when it was made beforehand on a machine with Swift). JSON lines on stdout and in
#        $OUT/gpu_check.jsonl when OUT is set.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export PYTHONPATH="$ROOT/tools/worker:$ROOT/tools/python${PYTHONPATH:+:$PYTHONPATH}"
SHARED=${POLYLENS_SHARED:-$ROOT/../shared}
[ -d "$SHARED" ] || SHARED=$ROOT/shared
WORK=$(mktemp -d)
LOG=${OUT:+$OUT/gpu_check.jsonl}
emit() { echo "$1"; [ -z "$LOG" ] || echo "$1" >> "$LOG"; }
python3 -c 'import torch, transformers; assert torch.cuda.is_available(), "no CUDA device"' \
    || { echo "gpu_check: torch with CUDA and transformers are needed" >&2; exit 1; }
emit "$(python3 -c 'import torch, json; print(json.dumps({"check": "device", "device": torch.cuda.get_device_name(0), "torch": torch.__version__, "cuda": torch.version.cuda}))')"

PLAN=${1:-}
if [ -z "$PLAN" ]; then
    if [ -d tools/worker/gpu_plan ]; then PLAN=tools/worker/gpu_plan
    else
        BIN=${POLYLENS_BINARY:-.build/debug/polylens}
        [ -x "$BIN" ] || { echo "gpu_check: no PLANDIR, no tools/worker/gpu_plan and no $BIN to make one" >&2; exit 1; }
        PLAN=$WORK/plan
        "$BIN" plan --out "$PLAN" --shards 2 --model "$SHARED/models/polycode" \
            --lang "C=/usr/include/*.h" --lang "Python=/usr/lib/python3*/*.py" --max-doc-tokens 256 \
            --max-tokens-per-language 20000 --held-out 0.1 >/dev/null
    fi
fi
N=$(ls "$PLAN" | grep -c '^plan-.*\.polylens$')

# 1. Parity (float32, cuda vs cpu, every shard).
for ((i = 0; i < N; i++)); do
    python3 -m polylens_worker execute "$PLAN" --shard "$i/$N" --out "$WORK" --quiet --device cpu >/dev/null
    mkdir -p "$WORK/cuda"
    python3 -m polylens_worker execute "$PLAN" --shard "$i/$N" --out "$WORK/cuda" --quiet --device cuda >/dev/null
done
emit "$(cd tools/worker/tests && python3 - "$WORK" "$N" <<'PY'
import json, pathlib, sys
import compare
work, n = pathlib.Path(sys.argv[1]), int(sys.argv[2])
out = {"check": "parity_cuda_float32_vs_cpu", "shards": n, "passed": True}
flips = counts = 0
for i in range(n):
    name = "result-%05d-of-%05d.polylens" % (i, n)
    try:
        f, c = compare.all_tables(work / name, work / "cuda" / name)
        flips, counts = flips + int(f), counts + int(c)
    except AssertionError as e:
        out["passed"] = False
        out.setdefault("failures", []).append("shard %d: %s" % (i, str(e).splitlines()[0]))
out["lape_count_flips"], out["lape_counts"] = flips, counts
print(json.dumps(out))
PY
)"

# 2. Throughput in bfloat16 on a CodeLlama-7B-shaped checkpoint.
for extra in "" "--no-activity"; do
    emit "$(python3 -m polylens_worker.benchmark --shape codellama-7b --layers 4 --device cuda --dtype bfloat16 \
        --documents 32 --tokens 2048 --batch-tokens 16384 --checkpoint "$WORK/codellama7b-4l" $extra 2>/dev/null)"
done
rm -rf "$WORK"
