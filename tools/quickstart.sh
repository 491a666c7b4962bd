#!/usr/bin/env bash
# The main job, end to end on a fresh Debian 12 machine with ../shared beside the checkout:
# install what is missing, build in release, ingest real code found on this machine plus the paper's
# parallel snippets with a Llama model, run every analysis, and write an HTML report.
#
#   tools/quickstart.sh [MODEL] [OUTDIR]
#
# MODEL defaults to ../shared/models/polycode; any Hugging Face directory or GGUF file of a Llama works.
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${POLYLENS_SHARED:-$(cd .. && pwd)/shared}
model=${1:-$shared/models/polycode}
out=${2:-out}
# Corpus size per language; the defaults keep the whole job within minutes on 2 cores.
tokens_per_language=${POLYLENS_TOKENS_PER_LANGUAGE:-150000}

tools/setup.sh
swift build -c release
polylens="$(swift build -c release --show-bin-path)/polylens"
mkdir -p "$out"
db="$out/$(basename "${model%/}" | sed 's/\.[a-z]*$//').polylens"

# Real code on this machine, where it exists; every language also gets the paper's parallel snippets.
corpus=()
add() { # LANGUAGE DIR PATTERN: only where DIR exists on this machine
    [ -d "$2" ] && corpus+=(--lang "$1=$2/$3")
    return 0
}
py=$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | head -n1 || true)
[ -n "$py" ] && add Python "$py" "**/*.py"
add C /usr/include "*.h"
cxx=$(ls -d /usr/include/c++/[0-9]* 2>/dev/null | head -n1 || true)
[ -n "$cxx" ] && add C++ "$cxx" "**/*"
add Javascript /usr/lib/node_modules "**/*.js"
srczip=""
for z in /usr/lib/jvm/*/lib/src.zip; do [ -s "$z" ] && { srczip=$z; break; }; done  # skips dangling links
if [ -n "$srczip" ]; then
    rm -rf "$out/java-src" && mkdir -p "$out/java-src"
    unzip -q -o "$srczip" 'java.base/java/util/*' -d "$out/java-src" && add Java "$out/java-src" "**/*.java"
fi

set -x
"$polylens" ingest "$db" --model "$model" \
    --parallel "$shared/data/paper/code_snippets" --prompts "$shared/data/paper/prompts" \
    "${corpus[@]}" --max-tokens-per-language "$tokens_per_language" --embed-unembedding --progress
"$polylens" verify "$db"
"$polylens" info "$db"
"$polylens" lape "$db" --save lape --replace --plot "$out/lape.svg" > "$out/lape.txt"
"$polylens" mexa "$db" --plot "$out/mexa.svg" > "$out/mexa.txt"
"$polylens" lens "$db" --source Python --target Java --plot "$out/lens.svg" > "$out/lens.txt"
"$polylens" ablate "$db" --set lape --model "$model" --control random --eval-tokens 20000 --progress --plot "$out/ablation.svg" > "$out/ablation.txt"
"$polylens" report "$db" --out "$out/report.html"
set +x
# Look at it as a person would: headless Chromium must render it without errors and not blank.
if command -v chromium >/dev/null; then tools/screenshot_report.sh "$out/report.html" "$out/report.png"; fi
echo "report: $(cd "$out" && pwd)/report.html"
