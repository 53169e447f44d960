#!/usr/bin/env bash
# Builds one libFuzzer target (clang, ASan + UBSan, build-fuzz/) and runs it
# for a bounded time on a corpus seeded from the test fixtures.
#   scripts/fuzz.sh TARGET SECONDS   TARGET: instruction_json, model_config,
#                                    idx, csv, checkpoint, or all
# The corpus grows in build-fuzz/corpus/TARGET; crashes, leaks, timeouts and
# huge allocations are written to build-fuzz/artifacts/TARGET/ and make the
# script fail. Add each one, once fixed, to tests/data/fuzz_regressions/.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(instruction_json model_config idx csv checkpoint)
if [[ $# -ne 2 || ! $2 =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh TARGET|all SECONDS   (targets: ${targets[*]})" >&2
  exit 2
fi
if [[ $1 == all ]]; then
  for t in "${targets[@]}"; do "$0" "$t" "$2"; done
  exit 0
fi
target=$1
seconds=$2
[[ " ${targets[*]} " == *" $target "* ]] || { echo "fuzz.sh: unknown target '$target'" >&2; exit 2; }

scripts/install-deps.sh --fuzz
build=build-fuzz
cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DINSTNN_FUZZ=ON -DINSTNN_BUILD_TESTS=OFF -DINSTNN_BUILD_BENCH=OFF -DINSTNN_BUILD_EXAMPLES=OFF \
  -DINSTNN_BUILD_TOOLS=OFF -DINSTNN_INSTALL=OFF >/dev/null
cmake --build "$build" -j 2 --target "fuzz_$target" fuzz_seed_checkpoint

corpus=$build/corpus/$target
seeds=$build/seeds/$target
artifacts=$build/artifacts/$target
mkdir -p "$corpus" "$artifacts"
rm -rf "$seeds"
mkdir -p "$seeds"
case $target in
  instruction_json) cp tests/data/inference/*.json "$seeds"/ ;;
  model_config) cp fuzz/seeds/model_config/*.json "$seeds"/ ;;
  csv) cp tests/data/inference/*.csv fuzz/seeds/csv/*.csv "$seeds"/ ;;
  idx)
    # uint8 arrays of rank 1 and 3 (labels, images), one gzipped.
    printf '\x00\x00\x08\x01\x00\x00\x00\x04\x00\x01\x02\x09' >"$seeds/labels.idx"
    printf '\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x10\x20\x30\x40\x50\x60\x70' \
      >"$seeds/images.idx"
    gzip -c "$seeds/images.idx" >"$seeds/images.idx.gz" ;;
  checkpoint) "$build/fuzz/fuzz_seed_checkpoint" "$seeds" ;;
esac
if [[ -d tests/data/fuzz_regressions/$target ]]; then
  cp tests/data/fuzz_regressions/"$target"/* "$seeds"/ 2>/dev/null || true
fi

# -malloc_limit_mb: a single allocation above 512 MiB from a tiny input is an
# unchecked size field. -timeout: a hang is any input taking over 10 s.
echo "fuzz.sh: running fuzz_$target for $seconds s"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
"$build/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
  -malloc_limit_mb=512 -max_len=65536 -print_final_stats=1 -artifact_prefix="$artifacts/" \
  "$corpus" "$seeds"
