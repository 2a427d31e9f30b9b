#!/usr/bin/env bash
# bench/ingest.sh — ingestion throughput of `ntpsep ingest` vs `wc -w` and a pure-Python counter.
#
#   bench/ingest.sh                  full run (builds ntpsep once, fetches the bench tier)
#   bench/ingest.sh --baseline-only  only (a) wc -w and (b) the Python baseline (no Swift needed)
#
# All measurements are on the same bytes, corpora/data/bench-100mb.txt (see corpora/manifest.tsv):
#   (a) wc -w FILE
#   (b) python3 bench/ingest_baseline.py FILE --order 3
#   (c) ntpsep stats FILE --tokenizer whitespace --order 3 --json   (counts, prints the same JSON)
#   (d) ntpsep stats SLICE --order 3 --json      (ICU default tokenizer, SLICE = first >= 40 MiB
#       of FILE cut at a line end)
#   (d1) (d) with the whole process pinned to one core (taskset -c 0), when taskset exists
#   (e) (c) on FILE2 = FILE twice: peak RSS must not double (ratio limit
#       NTPSEP_BENCH_MAX_RSS_RATIO, default 1.5)
#   (f) ntpsep ingest FILE --tokenizer whitespace --order 3 -o W/ws.npz   (writes the data set)
#   (g) KenLM: lmplz -o 3 -S 1G --discount_fallback --skip_symbols < FILE > /dev/null, when lmplz is found
#       ($LMPLZ, or lmplz on PATH); it also estimates the model, so it does more than count
# and checks the JSON of (c) and (e) against the Python baseline: events, contexts, vocabulary
# exactly, entropy to 1e-9 relative (for FILE2: events x2, the rest identical).
# Exit status: 0 ok, 1 on any mismatch / failure (loud message).
#
# Environment: NTPSEP_BIN (use this binary, skip the build), NTPSEP_BENCH_FILE (measure this
# file instead of the bench tier, e.g. corpora/data/kjv.txt for a quick run), NTPSEP_BENCH_REPEAT=N
# (measure that file concatenated N times, a repetitive corpus such as KJV x20), NTPSEP_BENCH_DIR (work dir,
# default /tmp/ntpsep-bench), NTPSEP_BENCH_REUSE_PYTHON=1 (reuse a cached baseline result for
# the same file sha256 instead of re-running the ~1-2 min Python count), PYTHON (default python3).
# Timer: GNU time (/usr/bin/time -f '%e %M'); if missing it is installed with apt-get when
# running as root (package `time`), otherwise the script stops and says so.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
W=${NTPSEP_BENCH_DIR:-/tmp/ntpsep-bench}
PY=${PYTHON:-python3}
MAXRATIO=${NTPSEP_BENCH_MAX_RSS_RATIO:-1.5}
BASELINE_ONLY=0
for a in "$@"; do
  case $a in
    --baseline-only) BASELINE_ONLY=1 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "ingest.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
die() { echo "ingest.sh: FAIL: $*" >&2; exit 1; }
note() { echo "ingest.sh: $*" >&2; }
mkdir -p "$W"

# ---- timer
if [[ ! -x /usr/bin/time ]]; then
  if [[ $(id -u) == 0 ]]; then
    note "GNU time missing: installing Debian package 'time' (apt-get install -y time)"
    apt-get install -y -qq time >/dev/null || die "could not install package 'time'"
  else
    die "/usr/bin/time (GNU time) is missing: install the Debian package 'time' (apt-get install time)"
  fi
fi
# measure NAME CMD...: runs CMD with stdout to $W/NAME.out; records wall seconds (T), peak RSS
# in KB (M) and user+sys CPU seconds (C; robust when the machine is shared)
declare -A T=() M=() C=()
measure() {
  local name=$1; shift
  note "running ($name): $*"
  if ! /usr/bin/time -o "$W/$name.time" -f '%e %M %U %S' "$@" >"$W/$name.out" 2>"$W/$name.err"; then
    cat "$W/$name.err" >&2; die "($name) command failed: $*"
  fi
  local u s; read -r T[$name] M[$name] u s <"$W/$name.time"
  C[$name]=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u+s}')
}

# ---- inputs
if [[ -n ${NTPSEP_BENCH_FILE:-} ]]; then
  FILE=$(realpath "$NTPSEP_BENCH_FILE"); note "using NTPSEP_BENCH_FILE=$FILE (not the bench tier)"
else
  note "fetching the bench tier (corpora/fetch.sh bench)"
  "$ROOT/corpora/fetch.sh" -q bench || die "corpora/fetch.sh bench failed"
  FILE=$ROOT/corpora/data/bench-100mb.txt
fi
if [[ ${NTPSEP_BENCH_REPEAT:-1} -gt 1 ]]; then
  REPEATED=$W/$(basename "$FILE" .txt)-x$NTPSEP_BENCH_REPEAT.txt
  if [[ ! -f $REPEATED || $(stat -c %s "$REPEATED") != $(($(stat -c %s "$FILE") * NTPSEP_BENCH_REPEAT)) ]]; then
    for _ in $(seq "$NTPSEP_BENCH_REPEAT"); do cat "$FILE"; done >"$REPEATED"
  fi
  FILE=$REPEATED; note "using $FILE ($NTPSEP_BENCH_REPEAT copies)"
fi
BYTES=$(stat -c %s "$FILE")
SHA=$(sha256sum "$FILE" | cut -c1-16)

# ---- (a) wc -w
measure wc wc -w "$FILE"
WCW=$(awk '{print $1}' "$W/wc.out")

# ---- (b) Python baseline (optionally cached by file hash)
PYCACHE=$W/baseline-$SHA.json
if [[ ${NTPSEP_BENCH_REUSE_PYTHON:-0} == 1 && -f $PYCACHE && -f $PYCACHE.time ]]; then
  note "reusing cached Python baseline $PYCACHE"
  cp "$PYCACHE" "$W/py.out"; read -r T[py] M[py] C[py] <"$PYCACHE.time"
else
  measure py "$PY" "$ROOT/bench/ingest_baseline.py" "$FILE" --order 3
  cp "$W/py.out" "$PYCACHE"; echo "${T[py]} ${M[py]} ${C[py]}" >"$PYCACHE.time"
fi
note "python baseline: $(cat "$W/py.out")"

# ---- ntpsep
if [[ $BASELINE_ONLY == 0 ]]; then
  if [[ -n ${NTPSEP_BIN:-} ]]; then BIN=$NTPSEP_BIN
  else
    note "building: swift build -c release (once; incremental afterwards)"
    local_t0=$SECONDS
    (cd "$ROOT" && swift build -c release >"$W/build.log" 2>&1) || { tail -30 "$W/build.log" >&2; die "swift build -c release failed (log: $W/build.log)"; }
    note "build took $((SECONDS - local_t0)) s (not part of the table)"
    BIN=$(cd "$ROOT" && swift build -c release --show-bin-path)/ntpsep
  fi
  [[ -x $BIN ]] || die "ntpsep binary not found at $BIN"

  # SLICE: first 40 MiB, completed to the end of that line
  SLICE=$W/slice-40mib-$SHA.txt
  if [[ ! -f $SLICE ]]; then
    { head -c 41943040 "$FILE"; tail -c +41943041 "$FILE" | head -n 1 || true; } >"$SLICE"  # tail gets SIGPIPE
  fi
  FILE2=$W/twice-$SHA.txt
  [[ -f $FILE2 && $(stat -c %s "$FILE2") == $((2 * BYTES)) ]] || cat "$FILE" "$FILE" >"$FILE2"
  SBYTES=$(stat -c %s "$SLICE")

  # Counting head to head with the Python baseline: both read the corpus and print the same JSON.
  measure ws  "$BIN" stats "$FILE"  --tokenizer whitespace --order 3 --json --top 1
  measure icu "$BIN" stats "$SLICE" --order 3 --json --top 1
  # The same on one core (the whole process pinned, so nothing overlaps on a second CPU).
  if command -v taskset >/dev/null; then measure icu1 taskset -c 0 "$BIN" stats "$SLICE" --order 3 --json --top 1; fi
  measure ws2 "$BIN" stats "$FILE2" --tokenizer whitespace --order 3 --json --top 1
  cp "$W/ws.out" "$W/ws.stats.json"; cp "$W/ws2.out" "$W/ws2.stats.json"; cp "$W/icu.out" "$W/icu.stats.json"
  # The full ingest, writing the .npz data set (includes the fixed-width numpy vocabulary array).
  measure npz "$BIN" ingest "$FILE" --tokenizer whitespace --order 3 -o "$W/ws.npz"
  # KenLM, when there: counting plus Kneser-Ney estimation, with 1 GB of sort memory.
  LMPLZ=${LMPLZ:-$(command -v lmplz || true)}
  if [[ -n $LMPLZ && -x $LMPLZ ]]; then
    measure kenlm sh -c '"$0" -o 3 -S 1G --discount_fallback --skip_symbols -T "$1" <"$2" >/dev/null' "$LMPLZ" "$W" "$FILE"
  else
    note "KenLM lmplz not found (set LMPLZ=/path/to/lmplz): row (g) skipped"
  fi
fi

# ---- report + checks (python does the arithmetic and the JSON)
export W BYTES WCW BASELINE_ONLY MAXRATIO SBYTES="${SBYTES:-0}" FILE
export T_wc=${T[wc]} M_wc=${M[wc]} C_wc=${C[wc]} T_py=${T[py]} M_py=${M[py]} C_py=${C[py]:-nan}
export T_ws=${T[ws]:-} M_ws=${M[ws]:-} C_ws=${C[ws]:-} T_icu=${T[icu]:-} M_icu=${M[icu]:-} C_icu=${C[icu]:-}
export T_icu1=${T[icu1]:-} M_icu1=${M[icu1]:-} C_icu1=${C[icu1]:-}
export T_kenlm=${T[kenlm]:-} M_kenlm=${M[kenlm]:-} C_kenlm=${C[kenlm]:-}
export T_ws2=${T[ws2]:-} M_ws2=${M[ws2]:-} C_ws2=${C[ws2]:-} T_npz=${T[npz]:-} M_npz=${M[npz]:-} C_npz=${C[npz]:-} LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" - <<'EOF'
import json, os, sys
E = os.environ
B = int(E["BYTES"]); MB = B / 1e6
rows = []
cpu = {}
def row(step, cmd, t, m, nbytes, c):
    t = float(t); m = int(m); cpu[step] = float(c)
    rows.append((step, cmd, t, nbytes / 1e6 / t if t > 0 else float("inf"), m / 1024))
row("(a)", "wc -w", E["T_wc"], E["M_wc"], B, E["C_wc"])
row("(b)", "python ingest_baseline.py --order 3", E["T_py"], E["M_py"], B, E["C_py"])
full = E["BASELINE_ONLY"] == "0"
if full:
    row("(c)", "ntpsep stats --tokenizer whitespace --order 3", E["T_ws"], E["M_ws"], B, E["C_ws"])
    row("(d)", "ntpsep stats --order 3 (ICU), 40 MiB slice", E["T_icu"], E["M_icu"], int(E["SBYTES"]), E["C_icu"])
    if E.get("T_icu1"):
        row("(d1)", "taskset -c 0 ntpsep stats --order 3 (ICU, one core), 40 MiB slice", E["T_icu1"], E["M_icu1"], int(E["SBYTES"]), E["C_icu1"])
    row("(e)", "ntpsep stats --tokenizer whitespace, file x2", E["T_ws2"], E["M_ws2"], 2 * B, E["C_ws2"])
    row("(f)", "ntpsep ingest --tokenizer whitespace -o .npz", E["T_npz"], E["M_npz"], B, E["C_npz"])
    if E.get("T_kenlm"):
        row("(g)", "lmplz -o 3 -S 1G --discount_fallback --skip_symbols (KenLM)", E["T_kenlm"], E["M_kenlm"], B, E["C_kenlm"])
print(f"\nInput: {E['FILE']} ({B:,} bytes, LC_ALL=C wc -w {int(E['WCW']):,} words); load average at end: {E['LOAD']}\n")
print("| step | command | wall s | CPU s (user+sys) | MB/s (wall) | peak RSS (MB) |")
print("|---|---|---:|---:|---:|---:|")
for s, c, t, r, m in rows:
    print(f"| {s} | `{c}` | {t:.2f} | {cpu[s]:.2f} | {r:.1f} | {m:.0f} |")
t = {s: x for s, _, x, _, _ in rows}
m = {s: x for s, _, _, _, x in rows}
print()
print(f"python / wc -w time ratio: {t['(b)'] / t['(a)']:.1f}x wall, {cpu['(b)'] / max(cpu['(a)'], 0.01):.1f}x CPU")
fail = []
if full:
    print(f"ntpsep (c) speed-up vs python (b): {t['(b)'] / t['(c)']:.1f}x wall, {cpu['(b)'] / max(cpu['(c)'], 0.01):.1f}x CPU; "
          f"ntpsep (c) / wc -w: {t['(c)'] / t['(a)']:.1f}x wall, {cpu['(c)'] / max(cpu['(a)'], 0.01):.1f}x CPU")
    print(f"ICU (d) MB/s vs whitespace (c) MB/s: {rows[3][3] / rows[2][3]:.2f}")
    if "(g)" in t:
        print(f"ntpsep (c) speed-up vs KenLM lmplz (g): {t['(g)'] / t['(c)']:.1f}x wall, {cpu['(g)'] / max(cpu['(c)'], 0.01):.1f}x CPU")
    speed = {st: r for st, _, _, r, _ in rows}
    if "(d1)" in speed:
        print(f"ICU end to end: {speed['(d)']:.1f} MB/s with its threads, {speed['(d1)']:.1f} MB/s pinned to one core (target 60 with its threads)")
    ratio = m["(e)"] / m["(c)"]
    print(f"peak RSS file x2 / file x1: {ratio:.2f} (limit {E['MAXRATIO']})")
    if ratio >= float(E["MAXRATIO"]):
        fail.append(f"peak RSS grows with input: x2 file uses {ratio:.2f}x the memory")
    py = json.load(open(os.path.join(E["W"], "py.out")))
    def load(name):
        # the whole output should be one JSON object; tolerate log lines around it
        text = open(os.path.join(E["W"], name)).read()
        try:
            return json.loads(text)
        except ValueError:
            for line in reversed(text.splitlines()):
                if line.lstrip().startswith("{"):
                    try:
                        return json.loads(line)
                    except ValueError:
                        pass
        fail.append(f"cannot parse {name} as JSON: {text[:200]!r}"); return None
    def cmp(label, got, want):
        if got is None: return
        for k in ("events", "contexts", "vocabulary"):
            if got.get(k) != want[k]:
                fail.append(f"{label}: {k} = {got.get(k)} but expected {want[k]}")
        g, w = got.get("entropy"), want["entropy"]
        if not isinstance(g, (int, float)) or abs(g - w) > 1e-9 * max(abs(w), 1e-300):
            fail.append(f"{label}: entropy = {g!r} but expected {w!r} (rel. tol. 1e-9)")
    cmp("ntpsep stats ws.npz vs python", load("ws.stats.json"), py)
    cmp("ntpsep stats ws2.npz (file x2) vs python", load("ws2.stats.json"),
        dict(py, events=2 * py["events"]))
    print("python :", json.dumps(py))
    for n in ("ws", "ws2", "icu"):
        p = os.path.join(E["W"], n + ".stats.json")
        if os.path.exists(p):
            j = json.load(open(p))
            print(f"{n:7s}:", json.dumps({k: j[k] for k in ("events", "contexts", "vocabulary", "entropy")}))
if fail:
    print("\nFAIL:\n  " + "\n  ".join(fail), file=sys.stderr)
    sys.exit(1)
print("\nOK" + ("" if full else " (baseline only; ntpsep not run)"))
EOF
