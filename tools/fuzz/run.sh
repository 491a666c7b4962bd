#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tools/fuzz/Harnesses, one per parser of untrusted bytes) against the
# parser modules compiled with -sanitize=fuzzer,address and runs each for SECONDS, one after the other.
#
#   tools/fuzz/run.sh [SECONDS] [HARNESS...]     # default: 600 s each, every harness
#
# Seeds come from the real files in ../shared (make_seeds.py; nothing is copied into the repository).
# Everything goes under .build/fuzz: corpus/<h> (inputs found), crashes/<h> (crashing inputs: keep each as a
# regression test beside the Hostile*Tests), logs/<h>.log, and summary.tsv with executions and
# coverage per harness. A single allocation over 512 MB or one input running over FUZZ_TIMEOUT seconds (30)
# counts as a crash; on a machine shared with builds, niced runs may need FUZZ_TIMEOUT=300.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_EACH=${1:-600}
[ $# -gt 0 ] && shift
ALL=(gguf gguf_vocab safetensors hf_config hf_index llama2c sentencepiece llama2c_tokenizer tiktoken
     tokenizer_json encode blob)
if [ $# -gt 0 ]; then HARNESSES=("$@"); else HARNESSES=("${ALL[@]}"); fi
SHARED=${POLYLENS_SHARED:-$(cd .. && pwd)/shared}
OUT=.build/fuzz
OBJ=$OUT/obj
FLAGS=(-sanitize=fuzzer,address -O -g -enable-testing -parse-as-library -I "$OBJ")
mkdir -p "$OBJ" "$OUT/bin" "$OUT/logs" "$OUT/tmp"

# One module object per parser module, rebuilt when a source is newer (the blob codec alone stands for the
# store: its other files need GRDB).
module() { # name sources...
    local name=$1; shift
    local o="$OBJ/$name.o"
    if [ -f "$o" ] && [ -z "$(find "$@" -newer "$o" 2>/dev/null)" ]; then return; fi
    echo "fuzz: compiling $name" >&2
    nice -n 19 swiftc "${FLAGS[@]}" -I Sources/CLZ4 -I Sources/CZlib -module-name "$name" -wmo -c "$@" \
        -emit-module -emit-module-path "$OBJ/$name.swiftmodule" -o "$o"
}
module PolylensModel Sources/PolylensModel/*.swift
module PolylensTokenizer Sources/PolylensTokenizer/*.swift
module PolylensStore Sources/PolylensStore/BlobCodec.swift Sources/PolylensStore/Q8_0.swift Sources/PolylensStore/ByteShuffle.swift

rm -rf "$OUT/seeds"
python3 tools/fuzz/make_seeds.py "$SHARED" "$OUT/seeds"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0}
export TMPDIR=$PWD/$OUT/tmp
export POLYLENS_SHARED=$SHARED
printf 'harness\tseconds\texecutions\texec_per_s\tcoverage\tfeatures\tcorpus\tcrashes\n' > "$OUT/summary.tsv"
for h in "${HARNESSES[@]}"; do
    bin="$OUT/bin/fuzz-$h"
    if [ "$h" = blob ]; then objs=("$OBJ/PolylensStore.o" -I Sources/CLZ4 -I Sources/CZlib -llz4 -lz)
    else objs=(tools/fuzz/TokenizerProbe.swift "$OBJ/PolylensModel.o" "$OBJ/PolylensTokenizer.o"); fi
    if [ ! -x "$bin" ] || [ -n "$(find tools/fuzz/Harnesses/$h.swift tools/fuzz/*.swift "$OBJ" -newer "$bin")" ]; then
        echo "fuzz: linking $h" >&2
        nice -n 19 swiftc "${FLAGS[@]}" tools/fuzz/FuzzSupport.swift "tools/fuzz/Harnesses/$h.swift" "${objs[@]}" -o "$bin" 2>&1 \
            | { grep -v "Cannot export local symbol" || true; } >&2
    fi
    mkdir -p "$OUT/corpus/$h" "$OUT/crashes/$h"
    echo "fuzz: running $h for ${SECONDS_EACH}s" >&2
    set +e
    nice -n 19 "$bin" -max_total_time="$SECONDS_EACH" -timeout="${FUZZ_TIMEOUT:-30}" -malloc_limit_mb=512 -rss_limit_mb=2048 \
        -print_final_stats=1 -detect_leaks=0 -artifact_prefix="$OUT/crashes/$h/" \
        "$OUT/corpus/$h" "$OUT/seeds/$h" > "$OUT/logs/$h.log" 2>&1
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$OUT/logs/$h.log" | grep -o '[0-9]*$' | tail -1)
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$OUT/logs/$h.log" | grep -o '[0-9]*$' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$OUT/logs/$h.log" | tail -1 | grep -o '[0-9]*')
    ft=$(grep -o 'ft: [0-9]*' "$OUT/logs/$h.log" | tail -1 | grep -o '[0-9]*')
    corpus=$(ls "$OUT/corpus/$h" | wc -l)
    crashes=$(find "$OUT/crashes/$h" -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' | wc -l)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "$SECONDS_EACH" "${runs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
        "$corpus" "$crashes" | tee -a "$OUT/summary.tsv"
    rm -rf "$OUT/tmp"/polylens-fuzz-*
done
column -t "$OUT/summary.tsv" >&2
if grep -qv $'\t0$' <(tail -n +2 "$OUT/summary.tsv"); then echo "fuzz: crashes found, see $OUT/crashes" >&2; exit 1; fi
