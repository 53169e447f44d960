#!/usr/bin/env bash
# End-to-end checks of the tabular command line on small generated CSVs
# (write_table_csv.py): train --model tab --csv, evaluate --csv [--json],
# export (the file scores raw rows), check --csv, predict by header with
# unknown categories, regression in the target's units, --impute mean, and
# the errors.
#   cli_table.sh INSTNN_EXECUTABLE WORK_DIR STEP
# STEP "setup" writes the data and trains the binary model; the other steps
# need its files; "cleanup" removes WORK_DIR.
set -euo pipefail
cli=$1
work=$2
step=$3
gen="$(dirname "$0")/write_table_csv.py"
fail() { echo "FAIL ($step): $*" >&2; for f in "$work"/*.log; do [[ -e $f ]] && { echo "--- $f"; cat "$f"; }; done >&2; exit 1; }
run() { local name=$1; shift; "$cli" "$@" >"$work/$name.log" 2>"$work/$name.err.log" || fail "instnn $* exited with $?"; }

# run_failing NAME MESSAGE_PART COMMAND ARGS...: exit 1 and a one-line
# "instnn COMMAND: ..." message holding MESSAGE_PART.
run_failing() {
  local name=$1 part=$2
  shift 2
  local rc=0
  "$cli" "$@" >"$work/$name.log" 2>"$work/$name.err.log" || rc=$?
  [[ $rc -eq 1 ]] || fail "$name: expected exit code 1, got $rc"
  [[ $(wc -l <"$work/$name.err.log") -eq 1 ]] || fail "$name: stderr is not one line"
  grep -q "^instnn $1: " "$work/$name.err.log" || fail "$name: no 'instnn $1:' message"
  grep -qF -- "$part" "$work/$name.err.log" || fail "$name: the message does not say '$part'"
}

case $step in
setup)
  rm -rf "$work"
  mkdir -p "$work"
  python3 "$gen" "$work/train.csv" 600 1
  python3 "$gen" "$work/test.csv" 150 2 --unseen
  run train train --model tab --csv "$work/train.csv" --label class --test "$work/test.csv" --epochs 15 \
      --threads 1 --quiet --out "$work/credit.ckpt"
  grep -q "test accuracy: " "$work/train.log" || fail "no test accuracy printed"
  grep -q "test auc: " "$work/train.log" || fail "no test auc printed"
  grep -q "(150 rows)" "$work/train.log" || fail "the test rows are not counted"
  ;;

evaluate)
  run evaluate evaluate "$work/credit.ckpt" --csv "$work/test.csv" --json
  python3 - "$work/evaluate.log" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert set(r) == {"loss", "accuracy", "auc", "samples"}, r
assert r["samples"] == 150 and r["accuracy"] > 0.75 and r["auc"] > 0.8, r
PY
  ;;

export_predict)
  run export export "$work/credit.ckpt" -o "$work/credit.json"
  run validate validate "$work/credit.json"
  python3 - "$work/credit.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
# numeric first, then the categorical columns, each in CSV order
assert m["features"] == ["age", "amount", "zip", "purpose", "housing", "city"], m["features"]
assert sorted(m["categories"]) == ["city", "housing", "purpose"], m["categories"]
assert m["categories"]["city"] == ["Boston", "Chicago", "New York, NY", 'The "Big" Easy'], m["categories"]["city"]
types = [i["type"] for i in m["instructions"]]
assert types.count("MAP_TRANSFORM") == 3, types
assert m["validation_data"]["inputs"], "no validation rows"
PY
  run check check "$work/credit.ckpt" "$work/credit.json" --csv "$work/test.csv"
  grep -q "same class on 150/150" "$work/check.log" || fail "model and engine disagree"
  # predict by column name: another column order, the label dropped, an
  # unknown category with a comma, an extra column.
  python3 - "$work/test.csv" "$work/shuffled.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
order = ["extra", "city", "housing", "zip", "purpose", "amount", "age"]
h = rows[0]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(order)
    for r in rows[1:]:
        d = dict(zip(h, r), extra="ignored")
        w.writerow([d[c] for c in order])
    d = dict(zip(h, rows[1]), extra="x", city="Gotham, NJ")
    w.writerow([d[c] for c in order])
PY
  run predict_original predict "$work/credit.json" --input "$work/test.csv"
  run predict_shuffled predict "$work/credit.json" --input "$work/shuffled.csv"
  [[ $(wc -l <"$work/predict_shuffled.log") -eq 151 ]] || fail "predict did not score 151 rows"
  head -150 "$work/predict_shuffled.log" | cmp -s - "$work/predict_original.log" || fail "column order changed the outputs"
  python3 - "$work/predict_shuffled.log" <<'PY'
import sys
p = [float(l) for l in open(sys.argv[1])]
assert all(0 <= v <= 1 for v in p), "not probabilities"
PY
  printf 'age,amount,purpose,housing\n30,1000,car,own\n' >"$work/partial.csv"
  run_failing predict_missing "the header has no column 'zip'" predict "$work/credit.json" --input "$work/partial.csv"
  ;;

regression)
  python3 "$gen" "$work/rtrain.csv" 600 3 --task regression --missing
  python3 "$gen" "$work/rtest.csv" 150 4 --task regression --missing --unseen
  run_failing regression_missing "amount" train --model tab --csv "$work/rtrain.csv" --label price --epochs 1 \
      --quiet --out "$work/r.ckpt"
  run rtrain train --model tab --csv "$work/rtrain.csv" --label price --impute mean --categorical zip \
      --epochs 30 --threads 1 --quiet --out "$work/r.ckpt"
  run revaluate evaluate "$work/r.ckpt" --csv "$work/rtest.csv" --json
  python3 - "$work/revaluate.log" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert set(r) == {"loss", "mae", "samples"}, r
assert 100 < r["mae"] < 1200, r   # in the target's units (prices in the thousands, sd about 1500)
PY
  run rexport export "$work/r.ckpt" -o "$work/r.json"
  run rcheck check "$work/r.ckpt" "$work/r.json" --csv "$work/rtest.csv"
  python3 - "$work/r.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert "amount" in m["missing_values"] and m["features"][:2] == ["age", "amount"], m
assert "zip" in m["categories"] and m["categories"]["zip"][0] == "01234", m["categories"]
PY
  run rpredict predict "$work/r.json" --input "$work/rtest.csv"
  python3 - "$work/rpredict.log" "$work/rtest.csv" <<'PY'
import csv, sys
p = [float(l) for l in open(sys.argv[1])]
y = [float(r["price"]) for r in csv.DictReader(open(sys.argv[2]))]
mae = sum(abs(a - b) for a, b in zip(p, y)) / len(y)
assert len(p) == len(y) == 150 and mae < 1200, mae
PY
  ;;

multiclass)
  python3 "$gen" "$work/mtrain.csv" 600 5 --task multiclass
  run mtrain train --model tab --csv "$work/mtrain.csv" --label segment --epochs 10 --threads 1 --quiet \
      --out "$work/m.ckpt"
  run mexport export "$work/m.ckpt" -o "$work/m.json"
  run mcheck check "$work/m.ckpt" "$work/m.json" --csv "$work/mtrain.csv"
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert m['buffer_sizes'][-1] == 3" "$work/m.json"
  ;;

graph_config)
  # A graph config naming the table's columns as its inputs' features.
  cat >"$work/graph.json" <<'JSON'
{"inputs": [{"name": "numbers", "features": ["age", "amount"]}, {"name": "purpose"}],
 "layers": [{"type": "CategoryEmbedding", "name": "purpose_embedding", "vocabulary": 5, "dim": 3, "inputs": ["purpose"]},
            {"type": "Concatenate", "name": "joined", "inputs": ["numbers", "purpose_embedding"]},
            {"type": "Dense", "name": "hidden", "units": 8, "activation": "relu", "inputs": ["joined"]},
            {"type": "Dense", "name": "logit", "units": 1, "inputs": ["hidden"]}],
 "outputs": ["logit"]}
JSON
  run gtrain train --model "$work/graph.json" --csv "$work/train.csv" --label class --epochs 3 --threads 1 \
      --quiet --out "$work/g.ckpt"
  run gexport export "$work/g.ckpt" -o "$work/g.json"
  python3 -c "import json,sys; m=json.load(open(sys.argv[1])); assert m['features'] == ['age','amount','purpose'], m['features']" "$work/g.json"
  run gcheck check "$work/g.ckpt" "$work/g.json" --csv "$work/test.csv"
  ;;

errors)
  run_failing both "--csv and --data" train --model tab --csv "$work/train.csv" --data "$work" --label class
  run_failing no_label "--label" train --model tab --csv "$work/train.csv"
  run_failing bad_label "'nope'" train --model tab --csv "$work/train.csv" --label nope
  run_failing bad_positive "'maybe'" train --model tab --csv "$work/train.csv" --label class --positive maybe
  run_failing tab_on_images "--model tab" train --model tab --data "$work"
  run_failing eval_images "--csv" evaluate "$work/credit.ckpt"
  run_failing resume_label "--label cannot be changed" train --resume "$work/credit.ckpt" --csv "$work/train.csv" \
      --label housing --out "$work/again.ckpt"
  ;;

resume)
  run resume train --resume "$work/credit.ckpt" --csv "$work/train.csv" --epochs 17 --quiet --out "$work/resumed.ckpt"
  grep -q "Resuming" "$work/resume.log" || fail "did not resume"
  ;;

cleanup)
  rm -rf "$work"
  ;;
*)
  fail "unknown step"
  ;;
esac
