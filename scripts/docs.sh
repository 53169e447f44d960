#!/usr/bin/env bash
# Generates the API reference from the public headers with Doxygen into
# docs/api/html (git ignores docs/api). Installs doxygen from Debian if it
# is missing (needs root or sudo for that).
#   scripts/docs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v doxygen >/dev/null 2>&1; then
  echo "docs.sh: installing doxygen"
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -qq --no-install-recommends doxygen ||
    { $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends doxygen; }
fi
rm -rf docs/api
mkdir -p docs/api
doxygen docs/Doxyfile
echo "docs.sh: API reference in docs/api/html/index.html ($(grep -c . docs/api/warnings.log || true) warnings in docs/api/warnings.log)"
