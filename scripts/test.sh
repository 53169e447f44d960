#!/usr/bin/env bash
# Installs the system packages, configures, builds and runs the whole test
# suite with ctest. Exits non-zero if anything fails.
#   scripts/test.sh              Release build in build/
#   scripts/test.sh --sanitize   ASan + UBSan build in build-sanitize/ (without
#                                the "integration" tests, which only rebuild
#                                instnn as other projects do)
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=build
cmake_args=(-DCMAKE_BUILD_TYPE=Release)
ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --sanitize) build_dir=build-sanitize
                cmake_args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DINSTNN_SANITIZE=ON -DINSTNN_BUILD_BENCH=OFF)
                ctest_args=(--label-exclude integration) ;;
    *) echo "test.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

# OpenMPI too: the data-parallel tests (tests/mpi.cmake) run under mpirun.
scripts/install-deps.sh --mpi
jobs=$(nproc)
cmake -S . -B "$build_dir" "${cmake_args[@]}"
cmake --build "$build_dir" -j "$jobs"
ctest --test-dir "$build_dir" --output-on-failure -j "$jobs" "${ctest_args[@]}"
