#!/bin/sh
# Fuzzes one reader with libFuzzer for SECONDS seconds: scripts/fuzz.sh TARGET SECONDS [libFuzzer options…]
# TARGET: npy, npz, text, ingest, xml, stream (see Sources/NTPFuzz/FuzzTargets.swift).
# Builds the NTPFuzz harness with -sanitize=fuzzer,address in .build-fuzz (apart from the normal
# .build), seeds .build-fuzz/corpus/TARGET from corpora/ and generated fixtures, runs libFuzzer,
# and prints one summary line: target, executions, seconds, crashes. Crashing inputs are written
# to .build-fuzz/crashes/TARGET/; copy them to Tests/Fixtures/fuzz/TARGET/ as regression tests.
set -eu
target=${1:?usage: scripts/fuzz.sh TARGET SECONDS}
seconds=${2:?usage: scripts/fuzz.sh TARGET SECONDS}
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=.build-fuzz
swift build -c release --build-path "$build" --product ntpsep-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xswiftc -use-ld=lld \
    -Xcc -fsanitize=fuzzer-no-link,address >&2
binary="$build/release/ntpsep-fuzz"
corpus="$build/corpus/$target"
crashes="$build/crashes/$target"
mkdir -p "$corpus" "$crashes"
python3 scripts/fuzz_seeds.py "$target" "$corpus"
# Earlier regression inputs are seeds too.
if [ -d "Tests/Fixtures/fuzz/$target" ]; then cp Tests/Fixtures/fuzz/"$target"/* "$corpus"/ 2>/dev/null || true; fi
log="$build/fuzz-$target.log"
export NTPSEP_FUZZ_TARGET="$target" TMPDIR="${TMPDIR:-/tmp}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:symbolize=1}"
before=$(find "$crashes" -type f | wc -l)
status=0
"$binary" "$corpus" -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 -max_len=16384 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "$@" </dev/null >"$log" 2>&1 || status=$?
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
found=$(( $(find "$crashes" -type f | wc -l) - before ))
echo "$target: ${runs:-?} executions in $seconds s, libFuzzer exit $status, $found new crashing inputs in $crashes (log: $log)"
[ "$status" -eq 0 ]
