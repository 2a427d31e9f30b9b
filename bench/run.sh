#!/usr/bin/env bash
# bench/run.sh — every benchmark of bench/ in one run, figures into one JSON file.
#
#   bench/run.sh [--quick] [--skip NAME,...] [-o FILE.json] [--work DIR]
#
#   --quick    a subset for a first look (~5 min): the training steps (3 steps each), ingestion on
#              the default corpus (corpora/data/kjv.txt) instead of the 106 MB bench tier, and
#              `ntpsep analyze --quick`. Without it: the training steps (5 steps), ingestion on the
#              bench tier (messy: 1.28 M types) and on the KJV × 20 (repetitive, the stand-in for
#              the issue's PTB × 20), `analyze --quick` and the full `analyze`, the compatibility solve
#              against NumPy's lstsq (bench/compat.sh, about a minute), the threshold decisions
#              (bench/threshold.sh) and the LP solvers (bench/lp_solvers.sh) — about an hour.
#   --skip L   leaves out the named benchmarks (comma-separated: core_step, ingest, ingest_repetitive,
#              analyze_quick, analyze, compat, threshold, lp_solvers); they are absent from the JSON, not failed.
#   -o FILE    where the JSON goes (default bench/results/figures.json; bench/results/ is not committed).
#   --work DIR scratch folder for the logs and data (default /tmp/ntpsep-bench-run).
#
# The JSON holds the machine (CPU model, cores, BLAS library and kernel, CKernels variant, load
# average before and after, commit) and one entry per figure: value, unit, which direction is better,
# and the issue's target where there is one. Compare two runs with bench/compare.py OLD NEW (fails on
# any figure more than 10 % worse); bench/table.py FILE prints the README's table.
# A benchmark that fails (or whose cross-check fails) is listed under "failed" and makes the exit
# status 1; the others still run. NTPSEP_BIN uses that binary instead of building.
set -uo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
quick=0
skip=,
out=$root/bench/results/figures.json
work=/tmp/ntpsep-bench-run
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --skip) skip=",$2,"; shift ;;
    -o) out=$2; shift ;;
    --work) work=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument $1 (see bench/run.sh --help)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$work" "$(dirname "$out")"
logs=$work/logs
rm -rf "$logs"; mkdir -p "$logs"
note() { echo "run.sh: $*" >&2; }

if [ -n "${NTPSEP_BIN:-}" ]; then bin=$NTPSEP_BIN
else
  note "building: swift build -c release"
  (cd "$root" && swift build -c release >"$logs/build.log" 2>&1) || { tail -20 "$logs/build.log" >&2; echo "run.sh: build failed" >&2; exit 1; }
  bin=$(cd "$root" && swift build -c release --show-bin-path)/ntpsep
fi
export NTPSEP_BIN=$bin

cut -d' ' -f1-3 /proc/loadavg >"$logs/load-start"
"$bin" doctor >"$logs/doctor.log"
lscpu >"$logs/lscpu.log" 2>/dev/null || true
nproc >"$logs/nproc"
(cd "$root" && git rev-parse --short HEAD 2>/dev/null || echo unknown) >"$logs/commit"
date -u +%Y-%m-%dT%H:%M:%SZ >"$logs/date"
echo "$quick" >"$logs/quick"

# bench NAME CMD...: runs CMD with stdout+stderr in $logs/NAME.log and its wall seconds in NAME.time.
bench() {
  local name=$1; shift
  case $skip in *",$name,"*) note "($name) skipped"; return ;; esac
  note "($name) $*"
  local t0=$SECONDS
  if "$@" >"$logs/$name.log" 2>&1; then echo ok >"$logs/$name.status"
  else echo "failed (exit $?)" >"$logs/$name.status"; note "($name) FAILED, see $logs/$name.log"; fi
  echo $((SECONDS - t0)) >"$logs/$name.time"
}

STEPS=$([ $quick = 1 ] && echo 3 || echo 5) bench core_step "$here/core_step.sh" "$work/core"
if [ $quick = 1 ]; then
  NTPSEP_BENCH_FILE=$root/corpora/data/kjv.txt NTPSEP_BENCH_DIR=$work/ingest bench ingest "$here/ingest.sh"
else
  NTPSEP_BENCH_DIR=$work/ingest NTPSEP_BENCH_REUSE_PYTHON=${NTPSEP_BENCH_REUSE_PYTHON:-0} bench ingest "$here/ingest.sh"
  NTPSEP_BENCH_FILE=$root/corpora/data/kjv.txt NTPSEP_BENCH_REPEAT=20 NTPSEP_BENCH_DIR=$work/ingest-repetitive \
    NTPSEP_BENCH_REUSE_PYTHON=${NTPSEP_BENCH_REUSE_PYTHON:-0} bench ingest_repetitive "$here/ingest.sh"
fi
rm -rf "$work/analyze-quick" "$work/analyze"
bench analyze_quick /usr/bin/time -f 'cpu %U %S' "$bin" analyze --quick -o "$work/analyze-quick"
cp "$work/analyze-quick/analysis.json" "$logs/analyze_quick.json" 2>/dev/null
if [ $quick = 0 ]; then
  bench analyze /usr/bin/time -f 'cpu %U %S' "$bin" analyze -o "$work/analyze"
  cp "$work/analyze/analysis.json" "$logs/analyze.json" 2>/dev/null
  bench compat "$here/compat.sh" "$work/compat"
  (cd "$root" && bench threshold bench/threshold.sh "$work/threshold")
  bench lp_solvers "$here/lp_solvers.sh" "$work/lp"
  cp "$work/lp/results.md" "$logs/lp_solvers.md" 2>/dev/null
fi

cut -d' ' -f1-3 /proc/loadavg >"$logs/load-end"
python3 "$here/collect.py" "$logs" >"$out.tmp" && mv "$out.tmp" "$out" || { echo "run.sh: collect.py failed" >&2; exit 1; }
note "figures: $out"
python3 "$here/table.py" "$out"
python3 - "$out" <<'EOF'
import json, sys
failed = json.load(open(sys.argv[1]))["failed"]
if failed:
    print("run.sh: FAILED: " + ", ".join(failed), file=sys.stderr)
    sys.exit(1)
EOF
