#!/usr/bin/env bash
# Obtains the German credit data set as a CSV and prints the directory that
# holds it on the LAST line of stdout (what it did goes to stderr).
#
#   scripts/fetch-tabular.sh [DIR]    DIR/credit-g.csv (default DIR:
#                                     datasets/credit in the repository,
#                                     which git ignores)
#
# Where it comes from: Debian's `weka` package ships the data set as
# usr/share/doc/weka/examples/credit-g.arff. The package is only downloaded
# (`apt-get download`) and unpacked with `dpkg -x` into a temporary
# directory, so nothing (no Java) is installed. scripts/arff_to_csv.py turns
# the ARFF file into a CSV: header row, 1,000 rows, 21 columns (7 numeric,
# 13 categorical, label `class` with values good/bad). `apt-get update` runs
# only if the download fails (no package lists yet).
# Idempotent: when DIR/credit-g.csv exists it does nothing.
#
# The synthetic TAB-L data set (bench/README.md) is not fetched here: it is
# written by ../shared/datasets/make_tabular.py beside the repository.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
arff_path=usr/share/doc/weka/examples/credit-g.arff

say() { echo "fetch-tabular: $*" >&2; }
fail() { echo "fetch-tabular: error: $*" >&2; exit 1; }

target=""
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    -*) fail "unknown option '$arg' (try --help)" ;;
    *) [[ -z "$target" ]] || fail "more than one directory given"; target=$arg ;;
  esac
done
target=${target:-$repo/datasets/credit}
csv=$target/credit-g.csv

if [[ -s "$csv" ]]; then
  say "German credit already present in $csv; nothing to do"
  echo "$target"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "apt-get is not available: cannot download Debian's weka package"
command -v dpkg >/dev/null 2>&1 || fail "dpkg is not available: cannot unpack Debian's weka package"
python=$(command -v python3 || true)
[[ -n "$python" ]] || fail "python3 is needed to convert the ARFF file"

work=$(mktemp -d)
# apt-get download runs as the _apt user when it can: let it write here.
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
download() { (cd "$work" && apt-get download weka >"$work/apt.log" 2>&1); }
say "downloading Debian package weka (apt-get download; nothing is installed)"
if ! download; then
  say "apt-get download failed; running apt-get update and trying again"
  "${sudo[@]}" apt-get update >&2 || fail "apt-get update failed"
  if ! download; then
    sed 's/^/  apt-get: /' "$work/apt.log" | tail -n 5 >&2
    fail "apt-get download weka failed"
  fi
fi
deb=$(ls "$work"/weka_*.deb 2>/dev/null | head -n 1)
[[ -n "$deb" ]] || fail "apt-get download produced no weka_*.deb"
dpkg -x "$deb" "$work/root" || fail "cannot unpack $deb"

arff=$work/root/$arff_path
# Older packages may ship the examples gzipped.
if [[ ! -f "$arff" ]]; then
  [[ -f "$arff.gz" ]] || fail "$(basename "$deb") has no $arff_path"
  gunzip -c "$arff.gz" >"$work/credit-g.arff"
  arff=$work/credit-g.arff
fi

mkdir -p "$target"
"$python" "$repo/scripts/arff_to_csv.py" "$arff" "$work/credit-g.csv"

# Check the shape before installing the file under its final name.
"$python" - "$work/credit-g.csv" <<'EOF' || fail "the converted CSV does not have German credit's shape"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
header, data = rows[0], rows[1:]
ok = len(data) == 1000 and len(header) == 21 and all(len(r) == 21 for r in data)
ok = ok and header[-1] == "class" and {r[-1] for r in data} == {"good", "bad"}
if not ok:
    sys.exit(f"{len(data)} rows, header {header}")
EOF

mv -f "$work/credit-g.csv" "$csv"
version=$(dpkg-deb -f "$deb" Version 2>/dev/null || echo unknown)
echo "German credit from Debian package weka $version ($arff_path), converted by scripts/arff_to_csv.py" >"$target/SOURCE"
say "German credit (1000 rows, 21 columns, label 'class') is in $csv"
echo "$target"
