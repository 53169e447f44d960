#!/usr/bin/env bash
# Data-parallel training on this machine: 1 process x 2 threads against
# 2 processes x 1 thread (mpirun), MLP and CNN on MNIST (their workload
# batch sizes, 64 and 128, global), then the allreduce time of each
# workload's gradient.
#   bench/data_parallel.sh DATA_DIR [MLP_EPOCHS] [CNN_EPOCHS]
# Prints s/epoch (the median of epochs 2..N, or epoch 1 when only one),
# samples/s and test accuracy per configuration. Uses build/instnn and
# build/bench/allreduce_time (configure with INSTNN_MPI=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?usage: bench/data_parallel.sh DATA_DIR [MLP_EPOCHS] [CNN_EPOCHS]}
mlp_epochs=${2:-5}
cnn_epochs=${3:-2}
cli=$PWD/build/instnn
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

run() {  # run MODEL EPOCHS PROCESSES THREADS
  local model=$1 epochs=$2 procs=$3 threads=$4
  local name=$model-$procs-$threads
  local launch=()
  [[ $procs -gt 1 ]] && launch=(mpirun -np "$procs" --oversubscribe --bind-to none)
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "${launch[@]}" "$cli" train --model "$model" --data "$data" \
      --epochs "$epochs" --threads "$threads" --out "$work/$name.ckpt" --history "$work/$name.json" \
      --quiet >"$work/$name.log"
  python3 - "$work/$name.json" "$work/$name.log" "$model, $procs process(es) x $threads thread(s)" <<'PY'
import json, re, statistics, sys
seconds = [e["seconds"] for e in json.load(open(sys.argv[1]))]
s = statistics.median(seconds[1:] if len(seconds) > 1 else seconds)
acc = re.search(r"test accuracy: ([0-9.]+)", open(sys.argv[2]).read()).group(1)
print(f"{sys.argv[3]:<36} {s:8.3f} s/epoch {60000 / s:9.0f} samples/s  test accuracy {acc}")
PY
}

run mlp "$mlp_epochs" 1 2
run mlp "$mlp_epochs" 2 1
run cnn "$cnn_epochs" 1 2
run cnn "$cnn_epochs" 2 1
# Gradient floats: MLP 784-256-128-10 (235146), CNN 32 and 64 3x3 filters +
# Dense 1600->10 (34826).
mpirun -np 2 --oversubscribe build/bench/allreduce_time 235146 34826
