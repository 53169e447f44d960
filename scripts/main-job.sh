#!/usr/bin/env bash
# The main job on a fresh machine: install the system packages, build,
# obtain MNIST, train the MLP (docs/design.md, "Reference workloads") with a progress bar,
# export it to instruction-model JSON, and check the file with the engine.
#   scripts/main-job.sh [OUT_DIR]      (default: out/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out}

scripts/install-deps.sh --data
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" --target instnn_cli
data=$(scripts/fetch-mnist.sh | tail -n 1)
dataset="MNIST"
[[ "$data" != /usr/share/datasets/fashion-mnist ]] || dataset="FASHION-MNIST (MNIST was unavailable; see above)"
echo "main job: training on $dataset from $data"
mkdir -p "$out"

# Measured as a user's machine runs: no forced OpenBLAS kernel type.
run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }

run build/instnn train --model mlp --data "$data" --epochs 5 --out "$out/mlp.ckpt" \
    --history "$out/mlp_history.json"
run build/instnn export "$out/mlp.ckpt" -o "$out/MODEL.json" --features "pixel[784]"
run build/instnn validate "$out/MODEL.json"
run build/instnn check "$out/mlp.ckpt" "$out/MODEL.json" --data "$data"
echo "main job done on $dataset: checkpoint $out/mlp.ckpt, instruction model $out/MODEL.json"
