#!/usr/bin/env python3
"""bench/table.py FIGURES.json — the README's benchmark table (markdown) from one bench/run.sh run."""
import json, sys

r = json.load(open(sys.argv[1]))
m = r["machine"]
src = r.get("ingest_input")
print(f"{m['cpu']}, {m['cores']} cores; {m['blas']} kernel {m['blas_kernel']}, CKernels {m['ckernels']}; "
      f"load {m['load_start']} → {m['load_end']}; commit {m['commit']}, {m['date']}"
      + (" (`bench/run.sh --quick`)" if r["quick"] else " (`bench/run.sh`)")
      + (f"; ingestion input {src['file']} ({src['bytes'] / 1e6:.1f} MB)" if src else "") + ".")
print()
print("| figure | value | unit | better | target | met |")
print("|---|---:|---|---|---:|---|")
for name, f in r["figures"].items():
    target = f.get("target")
    bound = "" if target is None else ("≤ " if f["better"] == "lower" else "≥ ") + f"{target:g}"
    met = "" if target is None else ("yes" if f["met"] else "**no**")
    if f.get("baseline"):
        name += " (baseline)"
    print(f"| {name} | {f['value']:.4g} | {f['unit']} | {f['better']} | {bound} | {met} |")
if r["failed"]:
    print()
    print("Failed: " + "; ".join(r["failed"]))
