#!/usr/bin/env bash
# The compatibility solve (W* of the log-odds system) on real text against the NumPy a user would write
# (bench/compat_numpy.py: lstsq on the explicit system), on the same data and H in the same run, and at a size
# NumPy cannot hold (the explicit system of the 1,000 most frequent KJV contexts over the whole vocabulary is
# 79,494 × 169,504 doubles, 108 GB). d = 64 on 300 contexts is left out: NumPy's lstsq took 581 s there
# (17,259 × 12,928), ntpsep 0.14 s.
# Usage: bench/compat.sh [WORKDIR] (default /tmp/ntpsep-bench-compat); NTPSEP_BIN sets the binary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/ntpsep-bench-compat}
bin=${NTPSEP_BIN:-$root/.build/release/ntpsep}
mkdir -p "$work"
cd "$work"
kjv=$root/corpora/data/kjv.txt
"$bin" ingest "$kjv" --max-vocab 200 -o kjv200.npz -q
"$bin" ingest "$kjv" -o kjv.npz -q
gaussian() { python3 -c "import numpy as np, sys; z = np.load(sys.argv[1]); m = int(z['shape'][0]); np.save(sys.argv[3], np.random.default_rng(0).standard_normal((int(sys.argv[2]), m)))" "$@"; }
compat() {   # DATA H TOP: ntpsep's compatibility seconds and residual, from check --json
  "$bin" check "$1" --embedding "file:$2" --max-contexts "$3" --context-choice most-frequent --gap-steps 0 --json \
    | python3 -c "import json, sys; r = json.load(sys.stdin); print(f\"{r['timing']['compatibility']:.3f} {r['compat_residual']:.15g}\")"
}
for spec in "300 16" "1000 16"; do
  set -- $spec
  gaussian kjv200.npz "$2" "h200-$2.npy"
  read -r seconds residual < <(compat kjv200.npz "h200-$2.npy" "$1")
  echo "compat kjv200 m=$1 d=$2: ntpsep $seconds s, residual $residual"
  python3 "$root/bench/compat_numpy.py" kjv200.npz "h200-$2.npy" "$1" | sed "s/^/compat kjv200 m=$1 d=$2: /"
done
gaussian kjv.npz 16 hkjv-16.npy
read -r seconds residual < <(compat kjv.npz hkjv-16.npy 1000)
echo "compat kjv m=1000 d=16 (whole vocabulary): ntpsep $seconds s, residual $residual"
