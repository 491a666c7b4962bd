#!/usr/bin/env bash
# What Swift's checks cost outside the engine (README, "Benchmarks: -Ounchecked"): this checkout's sources built
# twice in release, as Package.swift says (-Ounchecked for the engine only) and with -Ounchecked on every module,
# then `bench tokenizer` and `bench engine` alternating between the two binaries in the same run.
#
#   tools/bench_unchecked.sh [TOKENIZER_ROUNDS] [ENGINE_ROUNDS]      # default 20 and 6
#
# Prints the median (and best) of each figure per binary and the change. With valgrind installed it also counts
# the instructions executed inside `encode` per pass (callgrind, second pass minus first, so one-time set-up is
# left out): unlike wall clock, that count does not depend on the machine's load. The -Ounchecked copy of the
# sources is built in .build-unchecked/ (ignored by git); the first build there takes as long as a fresh one.
# Needs git, tar, python3 (and valgrind for the instruction counts).
set -euo pipefail
cd "$(dirname "$0")/.."
TOKENIZER_ROUNDS=${1:-20}
ENGINE_ROUNDS=${2:-6}
export POLYLENS_SHARED=${POLYLENS_SHARED:-$(cd .. && pwd)/shared}
OUT=.build-unchecked/results
mkdir -p "$OUT"
rm -f "$OUT"/*.json

echo "bench-unchecked: building this checkout (checks outside the engine)" >&2
swift build -c release --product polylens >&2
checked=$PWD/.build/release/polylens

echo "bench-unchecked: building a copy with -Ounchecked on every module" >&2
rm -rf .build-unchecked/src && mkdir -p .build-unchecked/src
git ls-files --cached --others --exclude-standard | tar cf - --ignore-failed-read -T - 2> /dev/null | tar xf - -C .build-unchecked/src
sed -i 's/^    \.unsafeFlags(\["-wmo"\], \.when(configuration: \.release)),$/    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),/' \
    .build-unchecked/src/Package.swift
if [ "$(grep -c -- '-Ounchecked", "-wmo"' .build-unchecked/src/Package.swift)" != 2 ]; then
    echo "bench-unchecked: Package.swift no longer has the two settings this script swaps (kernels, checked)" >&2
    exit 1
fi
swift build -c release --product polylens --package-path .build-unchecked/src --scratch-path .build-unchecked/build >&2
unchecked=$PWD/.build-unchecked/build/release/polylens

for r in $(seq 1 "$TOKENIZER_ROUNDS"); do
    for v in unchecked checked; do
        "${!v}" bench tokenizer --repeats 5 --bytes 300000 --format json > "$OUT/tokenizer-$v-$r.json"
    done
    echo "bench-unchecked: tokenizer round $r/$TOKENIZER_ROUNDS" >&2
done
for r in $(seq 1 "$ENGINE_ROUNDS"); do
    for v in unchecked checked; do
        "${!v}" bench engine --shapes stories15M,stories110M --threads 1 --tokens 256 --generate 64 --repeats 3 \
            --format json > "$OUT/engine-$v-$r.json"
    done
    echo "bench-unchecked: engine round $r/$ENGINE_ROUNDS" >&2
done

python3 - "$OUT" <<'EOF'
import glob, json, os, statistics, sys
figures = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    kind, build, _ = os.path.basename(path)[:-5].split("-")
    for row in json.load(open(path)):
        if kind == "tokenizer":
            name = os.path.basename(os.path.dirname(row["tokenizer"]))
            figures.setdefault(f"tokenizer {name}, MB/s (encode)", {}).setdefault(build, []).append(row["mb_per_second_per_thread"])
        else:
            for key in ("prefill_tokens_per_second", "generation_tokens_per_second"):
                figures.setdefault(f"engine {row['shape']}, {key.split('_')[0]} tokens/s", {}).setdefault(build, []).append(row[key])
print("| figure (median; best in brackets) | -Ounchecked everywhere | checks outside the engine | change |")
print("|---|---:|---:|---:|")
for name, by in figures.items():
    u, c = by["unchecked"], by["checked"]
    mu, mc = statistics.median(u), statistics.median(c)
    print(f"| {name}, {len(u)} rounds | {mu:,.1f} ({max(u):,.1f}) | {mc:,.1f} ({max(c):,.1f}) | {100 * (mc / mu - 1):+.1f}% |")
EOF

if command -v valgrind > /dev/null; then
    echo "| instructions inside encode per pass (1.7 MB) | -Ounchecked everywhere | checks outside the engine | change |"
    echo "|---|---:|---:|---:|"
    # Debug info stripped: valgrind 3.19 cannot read Swift 6's DWARF 5.
    for v in unchecked checked; do strip -g -o "$OUT/polylens-$v" "${!v}"; done
    for t in llama2c llama3; do
        declare -A per_pass=()
        for v in unchecked checked; do
            for r in 1 2; do
                valgrind --tool=callgrind --callgrind-out-file="$OUT/callgrind-$v-$r.out" \
                    --toggle-collect='*SentencePieceBPEC6encode*' --toggle-collect='*ByteLevelBPEC6encode*' \
                    "$OUT/polylens-$v" bench tokenizer --repeats $r --bytes 1700000 \
                    --tokenizer "$POLYLENS_SHARED/models/$t/tokenizer.model" > /dev/null 2> "$OUT/callgrind.log"
                eval "i$r=$(awk '/^summary:/ {print $2}' "$OUT/callgrind-$v-$r.out")"
            done
            per_pass[$v]=$((i2 - i1))
        done
        awk -v t="$t" -v u="${per_pass[unchecked]}" -v c="${per_pass[checked]}" \
            'BEGIN { printf "| %s | %.1f M | %.1f M | %+.1f%% |\n", t, u / 1e6, c / 1e6, 100 * (c / u - 1) }'
        unset per_pass
    done
fi
