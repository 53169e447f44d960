#!/usr/bin/env bash
# End-to-end checks of `instnn train --history/--validation-split` and
# `instnn evaluate`, on a tiny generated MNIST-style data set.
#   cli_commands.sh INSTNN_EXECUTABLE WORK_DIR STEP
# STEP "setup" writes the data and trains once (with a JSON history); the
# other steps check one behaviour each and need setup's files; "cleanup"
# removes WORK_DIR.
set -euo pipefail
cli=$1
work=$2
step=$3
fail() { echo "FAIL ($step): $*" >&2; for f in "$work"/*.log; do [[ -e $f ]] && { echo "--- $f"; cat "$f"; }; done >&2; exit 1; }

epochs=3
samples=250   # 200 train + 50 validation with --validation-split 0.2
test_samples=40

# train HISTORY_FILE CHECKPOINT: a short run with 20% held out for validation.
train() {
  "$cli" train --model "$work/model.json" --data "$work/data" --epochs $epochs --batch-size 25 \
      --lr 0.01 --threads 1 --validation-split 0.2 --history "$1" --out "$2" --quiet \
      >"$work/train.log" 2>"$work/train.err.log" || fail "instnn train exited with $?"
}

# run_failing NAME COMMAND ARGS...: the command must exit with 1 (an error,
# not a crash or an abort) and say "instnn COMMAND: " on one stderr line.
run_failing() {
  local name=$1
  shift
  local rc=0
  "$cli" "$@" >"$work/$name.log" 2>"$work/$name.err.log" || rc=$?
  [[ $rc -eq 1 ]] || fail "expected exit code 1, got $rc"
  [[ $(wc -l <"$work/$name.err.log") -eq 1 ]] || fail "stderr is not one line"
  grep -q "^instnn $1: " "$work/$name.err.log" || fail "no 'instnn $1:' message"
}

case $step in
setup)
  rm -rf "$work"
  mkdir -p "$work/data"
  # 8x8 images; the label is the brightest quarter of the image (4 classes).
  python3 "$(dirname "$0")/write_idx_dataset.py" "$work/data" $samples $test_samples quadrant
  cat >"$work/model.json" <<'JSON'
{"layers": [{"type": "Dense", "units": 16, "activation": "relu"}, {"type": "Dense", "units": 4}]}
JSON
  train "$work/history.json" "$work/run.ckpt"
  [[ -s "$work/run.ckpt" ]] || fail "no checkpoint written"
  ;;

history_json)
  python3 - "$work/history.json" $epochs <<'PY' || fail "bad JSON history"
import json, sys
records = json.load(open(sys.argv[1]))
epochs = int(sys.argv[2])
assert isinstance(records, list) and len(records) == epochs, records
for i, r in enumerate(records):
    assert set(r) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds", "lr"}, r
    assert r["epoch"] == i + 1, r
    assert abs(r["lr"] - 0.01) < 1e-6, r
    assert r["seconds"] >= 0 and r["loss"] > 0 and r["val_loss"] > 0, r
    assert 0 <= r["accuracy"] <= 1 and 0 <= r["val_accuracy"] <= 1, r
    # 50 validation samples: accuracies are multiples of 1/50.
    assert abs(r["val_accuracy"] * 50 - round(r["val_accuracy"] * 50)) < 1e-6, r
    assert abs(r["accuracy"] * 200 - round(r["accuracy"] * 200)) < 1e-6, r
assert records[-1]["loss"] < records[0]["loss"], "training did not lower the loss"
PY
  ;;

history_csv)
  train "$work/history.csv" "$work/csv.ckpt"
  python3 - "$work/history.csv" $epochs <<'PY' || fail "bad CSV history"
import csv, sys
lines = open(sys.argv[1]).read().splitlines()
epochs = int(sys.argv[2])
assert lines[0] == "epoch,accuracy,loss,lr,seconds,val_accuracy,val_loss", lines[0]
rows = list(csv.DictReader(lines))
assert len(rows) == epochs, rows
for i, r in enumerate(rows):
    assert int(r["epoch"]) == i + 1, r
    assert all(float(r[k]) >= 0 for k in r), r
    assert abs(float(r["lr"]) - 0.01) < 1e-6, r
PY
  ;;

evaluate_text)
  "$cli" evaluate "$work/run.ckpt" --data "$work/data" >"$work/evaluate.log" 2>"$work/evaluate.err.log" ||
    fail "instnn evaluate exited with $?"
  grep -Eq "^test loss: [0-9]+\.[0-9]{4} - test accuracy: [01]\.[0-9]{4} \($test_samples images\)$" \
    "$work/evaluate.log" || fail "unexpected output: $(cat "$work/evaluate.log")"
  ;;

evaluate_json)
  "$cli" evaluate "$work/run.ckpt" --data "$work/data" --json >"$work/evaluate_json.log" \
    2>"$work/evaluate_json.err.log" || fail "instnn evaluate --json exited with $?"
  "$cli" evaluate "$work/run.ckpt" --data "$work/data" --batch-size 7 >"$work/evaluate_text.log" ||
    fail "instnn evaluate exited with $?"
  # One line of JSON, agreeing with the text output (evaluated in other batches).
  python3 - "$work/evaluate_json.log" "$work/evaluate_text.log" $test_samples <<'PY' || fail "bad JSON output: $(cat "$work/evaluate_json.log")"
import json, re, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, lines
result = json.loads(lines[0])
assert result["samples"] == int(sys.argv[3]), result
assert 0 <= result["accuracy"] <= 1 and result["loss"] > 0, result
assert abs(result["accuracy"] * result["samples"] - round(result["accuracy"] * result["samples"])) < 1e-6
text = open(sys.argv[2]).read()
m = re.match(r"test loss: ([0-9.]+) - test accuracy: ([0-9.]+)", text)
assert m, text
assert abs(float(m.group(1)) - result["loss"]) <= 1e-4, (text, result)
assert abs(float(m.group(2)) - result["accuracy"]) <= 1e-4, (text, result)
PY
  ;;

evaluate_missing_data)
  run_failing evaluate_missing_data evaluate "$work/run.ckpt" --data "$work/no_such_dir"
  grep -q "no_such_dir" "$work/evaluate_missing_data.err.log" || fail "the message does not name the directory"
  ;;

evaluate_missing_checkpoint)
  run_failing evaluate_missing_checkpoint evaluate "$work/missing.ckpt" --data "$work/data"
  grep -q "missing.ckpt" "$work/evaluate_missing_checkpoint.err.log" ||
    fail "the message does not name the checkpoint"
  ;;

evaluate_not_a_checkpoint)
  run_failing evaluate_not_a_checkpoint evaluate "$work/model.json" --data "$work/data"
  grep -q "model.json" "$work/evaluate_not_a_checkpoint.err.log" ||
    fail "the message does not name the file"
  ;;

train_missing_data)
  run_failing train_missing_data train --model "$work/model.json" --data "$work/no_such_dir" \
    --epochs 1 --out "$work/never.ckpt" --quiet
  grep -q "no_such_dir" "$work/train_missing_data.err.log" || fail "the message does not name the directory"
  [[ ! -e "$work/never.ckpt" ]] || fail "a checkpoint was written"
  ;;

graph_train_export)
  # A graph config (residual Add, a shared layer, a Slice) through train,
  # evaluate, export, validate, check and info.
  cat >"$work/graph.json" <<'JSON'
{"inputs": [{"name": "pixels", "shape": [64]}],
 "layers": [
  {"type": "Dense", "name": "h1", "units": 16, "activation": "relu", "inputs": ["pixels"]},
  {"type": "Dense", "name": "h2", "units": 16, "activation": "relu", "inputs": ["h1"]},
  {"type": "Add", "name": "res", "inputs": ["h1", "h2"]},
  {"name": "h2_again", "shares": "h2", "inputs": ["res"]},
  {"type": "Slice", "name": "left", "start": 0, "stop": 8, "inputs": ["h2_again"]},
  {"type": "Dense", "name": "out", "units": 4, "inputs": ["left"]}],
 "outputs": ["out"]}
JSON
  "$cli" train --model "$work/graph.json" --data "$work/data" --epochs 2 --batch-size 25 --threads 1 \
      --out "$work/graph.ckpt" >"$work/graph_train.log" 2>&1 || fail "instnn train of a graph exited with $?"
  grep -q "Connected to" "$work/graph_train.log" || fail "no graph summary"
  grep -q "h2_again (Dense, shares h2)" "$work/graph_train.log" || fail "the summary does not show the shared layer"
  "$cli" evaluate "$work/graph.ckpt" --data "$work/data" >"$work/graph_eval.log" 2>&1 || fail "evaluate exited with $?"
  "$cli" export "$work/graph.ckpt" --output "$work/graph_model.json" --target portable >"$work/graph_export.log" 2>&1 ||
    fail "export exited with $?"
  grep -q '"pixels\[64\]"' "$work/graph_model.json" || fail "the input is not named pixels[64]"
  grep -q "ADD_ELEMENTWISE_BUFFERS" "$work/graph_model.json" || fail "no ADD_ELEMENTWISE_BUFFERS"
  "$cli" validate "$work/graph_model.json" >"$work/graph_validate.log" 2>&1 || fail "validate exited with $?"
  "$cli" check "$work/graph.ckpt" "$work/graph_model.json" --data "$work/data" >"$work/graph_check.log" 2>&1 ||
    fail "check exited with $?"
  "$cli" info "$work/graph_model.json" >"$work/graph_info.log" 2>&1 || fail "info exited with $?"
  # Resuming a graph checkpoint trains on.
  "$cli" train --resume "$work/graph.ckpt" --data "$work/data" --epochs 3 --out "$work/graph.ckpt" --quiet \
      >"$work/graph_resume.log" 2>&1 || fail "resume of a graph exited with $?"
  ;;

sequence_models)
  # A GRU and a SimpleRNN reading the 8x8 images row by row (8 steps of 8
  # pixels): train, export portable (unrolled), validate, check on the test
  # set, and predict a CSV of pixel rows; the engine's classes are the model's.
  for cell in GRU SimpleRNN; do
    cat >"$work/$cell.json" <<JSON
{"input_shape": [64],
 "layers": [{"type": "Reshape", "target_shape": [8, 8]},
            {"type": "$cell", "units": 12, "go_backwards": true},
            {"type": "Dense", "units": 4}]}
JSON
    "$cli" train --model "$work/$cell.json" --data "$work/data" --epochs 2 --batch-size 25 --threads 1 \
        --out "$work/$cell.ckpt" --quiet >"$work/${cell}_train.log" 2>&1 || fail "train of the $cell exited with $?"
    "$cli" export "$work/$cell.ckpt" --output "$work/${cell}_model.json" --target portable \
        >"$work/${cell}_export.log" 2>&1 || fail "export of the $cell exited with $?"
    "$cli" validate "$work/${cell}_model.json" >"$work/${cell}_validate.log" 2>&1 || fail "validate exited with $?"
    grep -q "OK: 64 inputs, 4 outputs" "$work/${cell}_validate.log" || fail "validate does not say OK"
    "$cli" check "$work/$cell.ckpt" "$work/${cell}_model.json" --data "$work/data" >"$work/${cell}_check.log" 2>&1 ||
      fail "check of the $cell exited with $?"
    python3 - "$work/data" "$work/${cell}_rows.csv" <<'PY'
import sys
# The first 10 test images as CSV rows of 64 pixels in [0, 1].
data = open(sys.argv[1] + "/t10k-images-idx3-ubyte", "rb").read()[16:]
with open(sys.argv[2], "w") as f:
    for i in range(10):
        f.write(",".join(str(b / 255) for b in data[i * 64:(i + 1) * 64]) + "\n")
PY
    "$cli" predict "$work/${cell}_model.json" --input "$work/${cell}_rows.csv" >"$work/${cell}_predict.log" \
        2>&1 || fail "predict with the $cell exited with $?"
    [[ $(grep -c . "$work/${cell}_predict.log") -ge 10 ]] || fail "predict did not score 10 rows"
  done
  ;;

graph_two_inputs_on_images)
  cat >"$work/two_inputs.json" <<'JSON'
{"inputs": [{"name": "left", "shape": [32]}, {"name": "right", "shape": [32]}],
 "layers": [{"type": "Concatenate", "name": "both", "inputs": ["left", "right"]},
            {"type": "Dense", "name": "out", "units": 4, "inputs": ["both"]}],
 "outputs": ["out"]}
JSON
  run_failing graph_two_inputs_on_images train --model "$work/two_inputs.json" --data "$work/data" \
    --epochs 1 --out "$work/never.ckpt" --quiet
  grep -q "2 inputs ('left', 'right')" "$work/graph_two_inputs_on_images.err.log" ||
    fail "the message does not name the inputs: $(cat "$work/graph_two_inputs_on_images.err.log")"
  ;;

cleanup)
  rm -rf "$work"
  ;;

*)
  fail "unknown step"
  ;;
esac
echo "PASS"
