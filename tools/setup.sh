#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for building, testing and the quickstart. Idempotent.
set -euo pipefail
apt_packages=(libopenblas-dev liblz4-dev libsqlite3-dev zlib1g-dev wamerican python3 python3-pip chromium)
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# tools/*.py (fixture makers, references) and the Python package's tests (python3 -m pytest -q tools/python)
# need numpy, lz4, pandas, pytest and safetensors in whichever python3 is first on PATH.
if ! python3 -c 'import numpy, lz4.block, pandas, pytest, safetensors' 2>/dev/null; then
    python3 -m pip install -q numpy lz4 pandas pytest safetensors \
        || python3 -m pip install -q --break-system-packages numpy lz4 pandas pytest safetensors
fi
# The PyTorch worker (tools/worker; python3 -m pytest -q tools/worker) needs torch (pip finds a CPU build here),
# transformers and ray.
if ! python3 -c 'import torch, transformers, ray' 2>/dev/null; then
    python3 -m pip install -q torch transformers ray \
        || python3 -m pip install -q --break-system-packages torch transformers ray
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.1 or later is needed)" >&2; exit 1; }
