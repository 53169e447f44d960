#!/usr/bin/env bash
# instnn vs. PyTorch on one training workload, in the same run, as a user's
# machine runs them (no OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE), PyTorch in the
# configurations that are fastest on a 2-core machine. Prints each result and
# the ratio to PyTorch's fastest.
#
# Debian's OpenBLAS 0.3.21 does not recognise this machine's CPU ("Intel
# Xeon Processor", family 6 model 207) and falls back to its SSE3 "Prescott"
# kernels, which slows PyTorch's GEMMs about 5x. PyTorch's best configuration
# therefore includes OPENBLAS_CORETYPE=Cooperlake (the AVX-512 kernels), and
# those runs are included too; instnn needs no such setting.
#   bench/compare_training.sh mlp|cnn|bncnn|resmlp|seq [DATA_DIR] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-mlp}
data=${2:-datasets/mnist}
build=${3:-build}
clean=(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE)
out=$(mktemp)

"${clean[@]}" "$build/bench/workload_train" --model "$model" --data "$data" --threads 2 | tee -a "$out"
"${clean[@]}" /usr/bin/python3 bench/torch_train.py --model "$model" --data "$data" --torch-threads 1 | tee -a "$out"
"${clean[@]}" /usr/bin/python3 bench/torch_train.py --model "$model" --data "$data" --torch-threads 1 --blas-threads 2 | tee -a "$out"
"${clean[@]}" OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_train.py --model "$model" --data "$data" --torch-threads 2 | tee -a "$out"
fast=("${clean[@]}" OPENBLAS_CORETYPE=Cooperlake)
"${fast[@]}" /usr/bin/python3 bench/torch_train.py --model "$model" --data "$data" --torch-threads 1 --blas-threads 2 | tee -a "$out"
"${fast[@]}" OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_train.py --model "$model" --data "$data" --torch-threads 2 | tee -a "$out"

/usr/bin/python3 - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
ours = rows[0]
best = min(rows[1:], key=lambda r: r["seconds_per_epoch"])
print(f"instnn {ours['seconds_per_epoch']:.3f} s/epoch, acc {ours['test_accuracy']:.4f}, "
      f"RSS {ours['peak_rss_mb']} MB")
print(f"PyTorch best ({best['torch_threads']} torch threads, {best['blas_threads']} BLAS threads, "
      f"OMP_WAIT_POLICY={best['omp_wait_policy'] or 'default'}, "
      f"OPENBLAS_CORETYPE={best.get('openblas_coretype') or 'unset'}): {best['seconds_per_epoch']:.3f} s/epoch, "
      f"acc {best['test_accuracy']:.4f}, RSS {best['peak_rss_mb']} MB")
print(f"speed-up instnn vs PyTorch best: {best['seconds_per_epoch'] / ours['seconds_per_epoch']:.2f}x")
PY
rm -f "$out"
