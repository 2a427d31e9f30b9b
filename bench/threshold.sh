#!/usr/bin/env bash
# Decision benchmark at the separability threshold (issue 8): 20 seeded random-support instances
# (m = 100 and 400, V = 200, k_j = 1 + Geometric(0.35), Gaussian H with d = 0.04m … 1.0m), each decided
# by `ntpsep check` with a certificate, the certificate re-checked by scripts/verify_certificate.py, and
# the verdict compared with scipy's HiGHS (interior point) on the full LP where that finishes.
# Usage: bench/threshold.sh [OUTDIR] (default bench/results/threshold); LP_LIMIT=60 sets HiGHS' seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/results/threshold}
limit=${LP_LIMIT:-60}
mkdir -p "$out"
swift build -c release >/dev/null
bin=.build/release/ntpsep
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
python3 bench/threshold_instances.py "$out" --m 100,400 > "$out/instances.txt"
printf '| instance | d/m | verdict | ntpsep wall s | CPU s | peak MB | certificate (numpy) | γ* bracket | HiGHS IPM |\n|---|---:|---|---:|---:|---:|---|---|---|\n'
while read -r name m V d seed; do
  /usr/bin/time -f '%e %U %M' -o "$out/$name.time" "$bin" check "$out/$name.npz" --embedding "file:$out/$name-H.npy" \
    --gap-steps 0 --no-compat --time-limit 300 --certificate "$out/$name-cert.npz" --json > "$out/$name.json"
  read -r wall user rss < "$out/$name.time"
  verdict=$(python3 -c "import json;print(json.load(open('$out/$name.json'))['verdict'])")
  bracket=$(python3 -c "import json;b=json.load(open('$out/$name.json'))['margin_bracket'];print('' if b is None else f\"[{b['lower']:.2e}, {b['upper']:.2e}]\" if b['upper'] is not None else f\"[{b['lower']:.2e}, ∞]\")")
  cert=$(python3 scripts/verify_certificate.py "$out/$name-cert.npz" "$out/$name.npz" | cut -d' ' -f1 || true)
  lp=$(timeout $((limit * 3)) python3 bench/threshold_lp.py "$out/$name.npz" "$out/$name-H.npy" --time-limit "$limit" || echo "no-answer -")
  ratio=$(python3 -c "print(f'{$d/$m:.2f}')")
  printf '| %s | %s | %s | %.2f | %.2f | %d | %s | %s | %s |\n' "$name" "$ratio" "$verdict" "$wall" "$user" $((rss / 1024)) "$cert" "$bracket" "$lp"
done < "$out/instances.txt"
