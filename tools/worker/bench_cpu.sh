#!/usr/bin/env bash
# Worker tokens/s on CPU against the Swift engine on the same plan, same run: one plan (polycode, C headers and
# Python's standard library, 256-token documents), executed by `polylens execute` (release build) and by the
# worker in float32 on CPU with the same thread count; each result's shard_results row gives tokens and seconds
# (the whole execution: model load excluded, forward passes, reductions and the file write included).
# Usage: tools/worker/bench_cpu.sh [THREADS]   (default 2)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD THREADS=${1:-2}
BIN=${POLYLENS_BINARY:-.build/release/polylens}
SHARED=${POLYLENS_SHARED:-$ROOT/../shared}
export PYTHONPATH="$ROOT/tools/worker:$ROOT/tools/python" OMP_NUM_THREADS=$THREADS
WORK=$(mktemp -d)
"$BIN" plan --out "$WORK/plan" --shards 1 --model "$SHARED/models/polycode" --lang "C=/usr/include/*.h" \
    --lang "Python=/usr/lib/python3.11/*.py" --max-doc-tokens 256 --max-tokens-per-language 20000 --held-out 0 >/dev/null
mkdir "$WORK/swift" "$WORK/torch"
"$BIN" execute "$WORK/plan" --shard 0/1 --out "$WORK/swift" --threads "$THREADS" >/dev/null
python3 -m polylens_worker execute "$WORK/plan" --shard 0/1 --out "$WORK/torch" --quiet --batch-tokens 4096 >/dev/null
for engine in swift torch; do
    sqlite3 "$WORK/$engine/result-00000-of-00001.polylens" \
        "SELECT json_object('engine', engine, 'threads', $THREADS, 'tokens', tokens, 'seconds', round(seconds, 2), 'tokens_per_second', round(tokens / seconds, 1)) FROM shard_results"
done
rm -rf "$WORK"
