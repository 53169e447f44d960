#!/usr/bin/env bash
# Trains the MLP, CNN and BNCNN workloads with the CLI, exports each (the CNNs
# to both targets), and checks every file against its checkpoint on the full
# test set: max |model - engine|, accuracy from the engine's outputs, file
# size, required memory, engine samples/s. Also the Fashion-MNIST MLP and CNN.
#   bench/export_workloads.sh [OUT_DIR] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/workloads}
build=${2:-build}
mkdir -p "$out"
mnist=$(scripts/fetch-mnist.sh | tail -n 1)
fashion=/usr/share/datasets/fashion-mnist
run() { env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$@"; }
cli=$build/instnn

train() {  # name model data epochs
  run "$cli" train --model "$2" --data "$3" --epochs "$4" --out "$out/$1.ckpt" \
      --history "$out/$1_history.json" --quiet
}
export_and_check() {  # name data target
  run "$cli" export "$out/$1.ckpt" -o "$out/$1_$3.json" --target "$3"
  run "$cli" info "$out/$1_$3.json" | grep -iE "memory|instructions" || true
  run "$cli" check "$out/$1.ckpt" "$out/$1_$3.json" --data "$2"
  run "$cli" bench "$out/$1_$3.json" --samples 2000 --threads 2 --json
}

train mlp mlp "$mnist" 5
export_and_check mlp "$mnist" portable
train cnn cnn "$mnist" 3
export_and_check cnn "$mnist" portable
export_and_check cnn "$mnist" native
train bncnn bncnn "$mnist" 3
export_and_check bncnn "$mnist" portable
export_and_check bncnn "$mnist" native
if [ -d "$fashion" ]; then
  train fashion_mlp mlp "$fashion" 5
  train fashion_cnn cnn "$fashion" 3
fi
