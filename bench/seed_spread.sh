#!/usr/bin/env bash
# The spread of a workload's test accuracy over seeds: one fixed-seed run is
# one draw, and the MLP's 5-epoch accuracy moves by +-0.2% (MNIST) and
# +-0.5% (Fashion-MNIST) from seed to seed.
#   bench/seed_spread.sh MODEL DATA_DIR FIRST_SEED LAST_SEED [TARGET] [-- extra train options]
# Trains MODEL (mlp, cnn, bncnn or FILE.json, with its workload batch size)
# once per seed in [FIRST_SEED, LAST_SEED], evaluates each checkpoint and
# prints one line per seed, then the mean, standard deviation, range and how
# many seeds reach TARGET (a fraction, e.g. 0.978). Uses build/instnn.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $# -lt 4 ]]; then
  sed -n '2,9p' "$0" >&2
  exit 2
fi
model=$1 data=$2 first=$3 last=$4
target=${5:-0}
shift $(( $# >= 5 ? 5 : 4 ))
[[ ${1:-} == -- ]] && shift
cli=build/instnn
[[ -x $cli ]] || { echo "seed_spread: build $cli first (cmake --build build --target instnn_cli)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for seed in $(seq "$first" "$last"); do
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$cli" train --model "$model" --data "$data" \
      --seed "$seed" --out "$work/s.ckpt" --quiet "$@" >/dev/null
  result=$("$cli" evaluate "$work/s.ckpt" --data "$data" --json)
  echo "$result" >>"$work/results"
  echo "seed $seed: $result"
done
python3 - "$work/results" "$target" <<'PY'
import json, statistics, sys
acc = [json.loads(line)["accuracy"] for line in open(sys.argv[1])]
target = float(sys.argv[2])
sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
line = (f"{len(acc)} seeds: mean {statistics.mean(acc):.4f}, sd {sd:.4f}, "
        f"min {min(acc):.4f}, max {max(acc):.4f}")
if target > 0:
    line += f"; {sum(a >= target - 1e-9 for a in acc)} of {len(acc)} reach {target}"
print(line)
PY
