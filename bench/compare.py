#!/usr/bin/env python3
"""bench/compare.py OLD.json NEW.json [--tolerance 0.10] — flags regressions between two bench/run.sh runs.

Every figure present in both files is compared in its own direction ("better": lower or higher);
one of ntpsep more than TOLERANCE (default 10 %) worse is flagged. Baseline figures (NumPy, scipy,
Python: "baseline": true) are shown but never flagged: a change there says the machine's load
changed, which is worth knowing when reading the rest. Prints one line per figure and exits 1 when
any figure is flagged, 0 otherwise (2 on unreadable input). Figures only one run has are listed,
not judged. A different CPU, core count or BLAS kernel is said first: then the comparison is
between machines, not between versions.
"""
import argparse, json, sys

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("old"); ap.add_argument("new")
ap.add_argument("--tolerance", type=float, default=0.10, help="relative worsening that is flagged (default 0.10)")
a = ap.parse_args()
try:
    old, new = json.load(open(a.old)), json.load(open(a.new))
    fo, fn = old["figures"], new["figures"]
except (OSError, ValueError, KeyError) as e:
    print(f"compare.py: cannot read the figures: {e}", file=sys.stderr)
    sys.exit(2)

for key in ("cpu", "cores", "blas_kernel"):
    if old["machine"].get(key) != new["machine"].get(key):
        print(f"note: {key} differs: {old['machine'].get(key)!r} → {new['machine'].get(key)!r}")
print(f"load: old {old['machine'].get('load_start')} → {old['machine'].get('load_end')}, "
      f"new {new['machine'].get('load_start')} → {new['machine'].get('load_end')}")

flagged = []
width = max([len(k) for k in set(fo) | set(fn)] + [6])
print(f"{'figure':<{width}}  {'old':>12} → {'new':<12} {'unit':<8} {'better':>8}")
for name in sorted(set(fo) & set(fn)):
    o, n = fo[name]["value"], fn[name]["value"]
    higher = fn[name]["better"] == "higher"
    if o == 0:
        worse = (n < o) if higher else (n > o)
        change = float("inf") if worse else 0.0
    else:
        change = (o - n) / abs(o) if higher else (n - o) / abs(o)   # > 0: worse
    baseline = fn[name].get("baseline", False)
    mark = "" if change <= a.tolerance else "(baseline, not judged)" if baseline else "WORSE"
    if mark == "WORSE":
        flagged.append(name)
    print(f"{name:<{width}}  {o:>12.6g} → {n:<12.6g} {fn[name]['unit']:<8} {-change + 0.0:+8.1%} {mark}")
for name in sorted(set(fo) ^ set(fn)):
    print(f"{name:<{width}}  only in {'old' if name in fo else 'new'}")
if flagged:
    print(f"\n{len(flagged)} figure(s) more than {a.tolerance:.0%} worse: {', '.join(flagged)}")
    sys.exit(1)
print(f"\nno figure more than {a.tolerance:.0%} worse")
