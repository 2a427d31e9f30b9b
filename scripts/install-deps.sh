#!/usr/bin/env bash
# Installs the Debian packages and Python modules ntpsep needs (idempotent; quiet when all present).
set -euo pipefail
packages=(pkg-config libicu-dev libxml2-dev libopenblas-dev libglpk-dev zlib1g-dev libbz2-dev time)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# numpy and scipy: the tests check that our files are what numpy/scipy read and write.
python3 -c 'import numpy, scipy' 2>/dev/null || python3 -m pip install -q numpy scipy
# dask and distributed: the Dask driver of sharded ingest (scale/ntpsep_dask.py) and its test.
python3 -c 'import dask, distributed' 2>/dev/null || python3 -m pip install -q -r "$(dirname "$0")/../scale/requirements.txt"
