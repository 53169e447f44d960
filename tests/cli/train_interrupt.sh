#!/usr/bin/env bash
# Ctrl-C during `instnn train`: the run finishes its batch, saves a checkpoint,
# exits with 130 and says how to resume; --resume then trains to the epoch
# count stored in the checkpoint.
#   train_interrupt.sh INSTNN_EXECUTABLE WORK_DIR
set -euo pipefail
cli=$1
work=$2
rm -rf "$work"
mkdir -p "$work/data"
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f"; cat "$f"; done >&2; exit 1; }

# A tiny MNIST-style data set: 8x8 images, labels from the mean brightness.
python3 "$(dirname "$0")/write_idx_dataset.py" "$work/data" 30000 200 brightness
cat >"$work/model.json" <<'JSON'
{"layers": [{"type": "Dense", "units": 32, "activation": "relu"}, {"type": "Dense", "units": 10}]}
JSON

ckpt=$work/run.ckpt
# Batches of 1 make an epoch long enough to be interrupted in the middle; five
# epochs leave room for a machine that gets through one before the signal lands.
"$cli" train --model "$work/model.json" --data "$work/data" --epochs 5 --batch-size 1 \
    --threads 1 --out "$ckpt" --quiet >"$work/train.log" 2>"$work/train.err.log" &
pid=$!
# Interrupt as soon as epoch 1's checkpoint appears (epoch 2 or, on a fast
# machine, a later one is under way when the signal arrives).
for _ in $(seq 1 6000); do
  [[ -e "$ckpt" ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.02
done
[[ -e "$ckpt" ]] || fail "no checkpoint after epoch 1"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
[[ $rc -eq 130 ]] || fail "expected exit code 130 after SIGINT, got $rc"
grep -q "interrupted at epoch [2-5], batch [0-9]* of 30000" "$work/train.err.log" || fail "no interruption message"
epoch=$(sed -n 's/.*interrupted at epoch \([0-9]*\), batch.*/\1/p' "$work/train.err.log")
done_epochs=$((epoch - 1))
grep -qF "Resume with: instnn train --resume $ckpt --data $work/data --out $ckpt" "$work/train.err.log" ||
  fail "no resume command in the message"
grep -q "test accuracy" "$work/train.log" && fail "an interrupted run must not report test accuracy"
ls "$work" | grep -q '\.tmp\.' && fail "a temporary checkpoint file was left behind"

# Options the checkpoint holds cannot be changed on resume.
rc=0
"$cli" train --resume "$ckpt" --data "$work/data" --lr 0.5 --quiet >"$work/lr.log" 2>"$work/lr.err.log" || rc=$?
[[ $rc -eq 1 ]] && grep -q -- "--lr cannot be changed when resuming" "$work/lr.err.log" ||
  fail "--lr on resume: rc $rc"

# Resume: the interrupted epoch runs again, then the rest up to 5 (the count
# stored in the checkpoint, not --epochs' default), with the checkpoint's batch
# size (1), not the default.
"$cli" train --resume "$ckpt" --data "$work/data" --out "$ckpt" --threads 1 --quiet \
    >"$work/resume.log" 2>"$work/resume.err.log" || fail "resume failed"
grep -q "Resuming '$ckpt' after epoch $done_epochs, up to epoch 5 (batch size 1)" "$work/resume.log" ||
  fail "resume did not start after epoch $done_epochs of 5 with batch size 1"
grep -q "test accuracy" "$work/resume.log" || fail "resumed run did not finish"

# A finished checkpoint has nothing left to do.
rc=0
"$cli" train --resume "$ckpt" --data "$work/data" --quiet >"$work/again.log" 2>"$work/again.err.log" || rc=$?
[[ $rc -eq 1 ]] && grep -q "nothing to do: the checkpoint has already trained 5 of 5 epochs" "$work/again.err.log" ||
  fail "resuming a finished checkpoint: rc $rc"
# ... unless --epochs asks for more.
"$cli" train --resume "$ckpt" --data "$work/data" --out "$ckpt" --epochs 6 --quiet \
    >"$work/more.log" 2>"$work/more.err.log" || fail "training further failed"
grep -q "Resuming '$ckpt' after epoch 5, up to epoch 6 (batch size 1)" "$work/more.log" ||
  fail "--epochs 6 on a finished checkpoint did not train epoch 6"
rm -rf "$work"
echo "PASS"
