#!/usr/bin/env bash
# bench/scale.sh — out-of-core counting, shards + merges, and the Dask driver (issue 10).
#
#   bench/scale.sh            all steps (builds ntpsep once, fetches the bench tier)
#   bench/scale.sh budget     only (a)-(c)      bench/scale.sh shards   only (d)
#   bench/scale.sh dask       only (e)
#
# Corpus: corpora/data/bench-100mb.txt (106 MB of real English, see corpora/manifest.tsv).
#   (a) ntpsep ingest BIG --tokenizer whitespace --order 3              (no budget given: the
#       default, half the available memory, keeps everything in RAM)
#   (b) the same with --memory 256M --temp-dir W/tmp: must be byte-identical to (a) and stay
#       under 512 MB peak RSS (NTPSEP_SCALE_MAX_RSS_KB, default 524288)
#   (c) KenLM lmplz -o 3 -S 256M on BIG (counts and estimates; skipped when lmplz is missing)
#       BIG = the bench file NTPSEP_SCALE_COPIES times (default 10: 1.06 GB), so its distinct
#       n-grams are those of the 106 MB file; the events are 10×.
#   (d) 8 shards of the bench file (byte ranges cut at line ends), each with --memory 256M,
#       merged in two groupings ((0 1 2 3)(4 5 6 7)) and ((7 5 3 1)(6 4 2 0)): both must equal
#       one ingest of the file
#   (e) scale/ntpsep_dask.py on BIG cut into 16 files, 8 shards, one merge of 8 parts (fan-in 8),
#       LocalCluster with one thread per worker: 1 worker vs 2 workers; the output must equal one
#       ingest of the files. Default (ICU) tokenizer here: tokenizing is the part that shards
#       spread over workers; the final merge (vocabulary, .npz) is serial.
# Timer: GNU time; wall seconds, peak RSS and user+sys CPU seconds are printed per step. The
# machine this was written on has 2 cores shared with other builds: read times as indicative.
# Environment: NTPSEP_BIN (skip the build), NTPSEP_SCALE_DIR (work dir, default /tmp/ntpsep-scale),
# NTPSEP_SCALE_COPIES, NTPSEP_SCALE_FILE (another corpus instead of the bench tier).
set -euo pipefail
export LC_ALL=C
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
W=${NTPSEP_SCALE_DIR:-/tmp/ntpsep-scale}
COPIES=${NTPSEP_SCALE_COPIES:-10}
MAXRSS=${NTPSEP_SCALE_MAX_RSS_KB:-524288}
STEPS=${1:-all}
die() { echo "scale.sh: FAIL: $*" >&2; exit 1; }
note() { echo "scale.sh: $*" >&2; }
mkdir -p "$W" "$W/tmp"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing: install the Debian package 'time'"

declare -A T=() M=() C=()
measure() {   # measure NAME CMD...: wall s (T), peak RSS KB (M), user+sys s (C)
  local name=$1; shift
  note "($name) $*"
  /usr/bin/time -o "$W/$name.time" -f '%e %M %U %S' "$@" >"$W/$name.out" 2>"$W/$name.err" \
    || { cat "$W/$name.err" >&2; die "($name) failed: $*"; }
  local u s; read -r T[$name] M[$name] u s <"$W/$name.time"
  C[$name]=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.1f", u+s}')
  printf '%-28s %8.1f s wall %8.1f s cpu %8d MB peak RSS\n' "$name" "${T[$name]}" "${C[$name]}" $(( ${M[$name]} / 1024 ))
}
same() { cmp -s "$1" "$2" || die "$1 and $2 differ"; echo "  identical: $(basename "$1") = $(basename "$2") ($(stat -c %s "$1") bytes)"; }

if [[ -n ${NTPSEP_BIN:-} ]]; then B=$NTPSEP_BIN; else
  note "building ntpsep (release)"; (cd "$ROOT" && swift build -c release >/dev/null) || die "swift build failed"
  B=$ROOT/.build/release/ntpsep
fi
if [[ -n ${NTPSEP_SCALE_FILE:-} ]]; then FILE=$(realpath "$NTPSEP_SCALE_FILE"); else
  "$ROOT/corpora/fetch.sh" -q bench || die "corpora/fetch.sh bench failed"
  FILE=$ROOT/corpora/data/bench-100mb.txt
fi
OPTS=(--tokenizer whitespace --order 3)
uptime

if [[ $STEPS == all || $STEPS == budget ]]; then
  BIG=$W/big.txt
  if [[ ! -s $BIG || $(stat -c %s "$BIG") != $(( $(stat -c %s "$FILE") * COPIES )) ]]; then
    for _ in $(seq "$COPIES"); do cat "$FILE"; done >"$BIG"
  fi
  echo "BIG = $COPIES x $(basename "$FILE") = $(stat -c %s "$BIG") bytes"
  measure unconstrained "$B" ingest "$BIG" "${OPTS[@]}" -o "$W/free.npz"
  cat "$W/unconstrained.out"
  measure memory-256M "$B" ingest "$BIG" "${OPTS[@]}" --memory 256M --temp-dir "$W/tmp" -o "$W/tight.npz"
  cat "$W/memory-256M.out"
  same "$W/tight.npz" "$W/free.npz"
  (( ${M[memory-256M]} < MAXRSS )) || die "peak RSS ${M[memory-256M]} KB with --memory 256M is over $MAXRSS KB"
  [[ -z $(ls -A "$W/tmp") ]] || die "temporary runs left in $W/tmp"
  if command -v lmplz >/dev/null; then
    measure lmplz-S256M lmplz -o 3 -S 256M -T "$W/tmp" --discount_fallback --text "$BIG" --arpa "$W/kenlm.arpa"
  else
    echo "lmplz: not installed (KenLM has no Debian package; PyPI's kenlm builds only the Python module); skipped"
  fi
fi

if [[ $STEPS == all || $STEPS == shards ]]; then
  measure one-ingest "$B" ingest "$FILE" "${OPTS[@]}" -o "$W/one.npz"
  cat "$W/one-ingest.out"
  for i in 0 1 2 3 4 5 6 7; do
    measure "shard-$i-of-8" "$B" ingest "$FILE" "${OPTS[@]}" --memory 256M --temp-dir "$W/tmp" --shard "$i/8" -o "$W/s$i.part"
  done
  measure merge-0123 "$B" merge "$W"/s{0,1,2,3}.part -o "$W/a0123.part"
  measure merge-4567 "$B" merge "$W"/s{4,5,6,7}.part -o "$W/a4567.part"
  measure merge-A-final "$B" merge "$W/a0123.part" "$W/a4567.part" -o "$W/groupA.npz" --memory 256M --temp-dir "$W/tmp"
  measure merge-7531 "$B" merge "$W"/s{7,5,3,1}.part -o "$W/b7531.part"
  measure merge-6420 "$B" merge "$W"/s{6,4,2,0}.part -o "$W/b6420.part"
  measure merge-B-final "$B" merge "$W/b6420.part" "$W/b7531.part" -o "$W/groupB.npz" --memory 256M --temp-dir "$W/tmp"
  same "$W/groupA.npz" "$W/one.npz"
  same "$W/groupB.npz" "$W/one.npz"
  ls -l "$W"/s*.part | awk '{s += $5} END {printf "  8 parts: %.1f MB in all\n", s / 1e6}'
fi

if [[ $STEPS == all || $STEPS == dask ]]; then
  python3 -c 'import dask, distributed' 2>/dev/null || die "dask is missing: run scripts/install-deps.sh (or pip install -r scale/requirements.txt)"
  BIG=$W/big.txt
  [[ -s $BIG ]] || for _ in $(seq "$COPIES"); do cat "$FILE"; done >"$BIG"
  rm -rf "$W/multi"; mkdir -p "$W/multi"
  (cd "$W/multi" && split -n l/16 -d "$BIG" part-)
  DOPTS=(--order 3)
  measure multi-one-ingest "$B" ingest "$W/multi" "${DOPTS[@]}" -o "$W/multi.npz"
  for workers in 1 2; do
    rm -rf "$W/dask$workers.npz" "$W/dask$workers.npz.parts"
    measure "dask-$workers-worker" python3 "$ROOT/scale/ntpsep_dask.py" "$W/multi" -o "$W/dask$workers.npz" --shards 8 --fan-in 8 \
      --workers "$workers" --threads-per-worker 1 --ntpsep "$B" --quiet "${DOPTS[@]}" --memory 1G --temp-dir "$W/tmp"
    same "$W/dask$workers.npz" "$W/multi.npz"
  done
  awk -v a="${T[dask-1-worker]}" -v b="${T[dask-2-worker]}" 'BEGIN{printf "  Dask speed-up, 2 workers vs 1: %.2fx (%.1f s vs %.1f s)\n", a / b, b, a}'
fi
