#!/usr/bin/env python3
"""bench/collect.py LOGS — the figures of one bench/run.sh run, as JSON on stdout.

Reads the logs bench/run.sh leaves in LOGS (core_step.log, ingest.log, analyze_quick.json, …) and
prints {"machine": {...}, "quick": bool, "figures": {name: {value, unit, better, [target, met]}},
"failed": [benchmarks that failed or whose cross-check failed]}. A figure whose line is missing
from its log is left out (and its benchmark is listed as failed), never guessed.
"""
import json, os, re, sys

logs = sys.argv[1]
figures, failed = {}, []


def read(name):
    path = os.path.join(logs, name)
    return open(path, encoding="utf-8", errors="replace").read() if os.path.exists(path) else None


def figure(name, value, unit, better, target=None, baseline=False):
    """better: 'lower' or 'higher'; target: the issue's bound in the same direction; baseline: a
    figure of the reference a user would otherwise run (NumPy, scipy, Python), not of ntpsep."""
    f = {"value": round(float(value), 6), "unit": unit, "better": better}
    if baseline:
        f["baseline"] = True
    if target is not None:
        f["target"] = target
        f["met"] = value <= target if better == "lower" else value >= target
    figures[name] = f


def number(pattern, text, bench):
    m = re.search(pattern, text, re.M)
    if not m:
        failed.append(f"{bench} (no line matching {pattern!r})")
        return None
    return float(m.group(1))


def status_ok(bench):
    s = read(f"{bench}.status")
    if s is None:
        return False
    if s.strip() != "ok":
        failed.append(f"{bench} ({s.strip()})")
        return False
    return True


# ---- training steps (bench/core_step.sh)
if read("core_step.status") is not None:
    status_ok("core_step")
    t = read("core_step.log") or ""
    if "FAILED" in t:
        failed.append("core_step (cross-check)")
    gf_numpy = number(r"^dgemm \d+\^3 numpy .*: ([\d.]+) GFLOP/s", t, "core_step")
    gf_sys = number(r"^dgemm \d+\^3 system libopenblas .*: ([\d.]+) GFLOP/s", t, "core_step")
    dense = number(r"^benchmark: file:\S+ float64 .*: median ([\d.]+) s/step", t, "core_step")
    numpy = number(r"^numpy: median ([\d.]+) s/step", t, "core_step")
    gemms = number(r"^full-size GEMMs .* take min ([\d.]+) s", t, "core_step")
    f32 = number(r"^benchmark: file:\S+ float32 .*: median ([\d.]+) s/step", t, "core_step")
    onehot = number(r"^benchmark: onehot streaming .*: ([\d.]+) s/step", t, "core_step")
    sc_onehot = number(r"^scipy onehot: median ([\d.]+) s/step", t, "core_step")
    positional = number(r"^benchmark: positional-onehot .*: median ([\d.]+) s/step", t, "core_step")
    sc_positional = number(r"^scipy positional-onehot: median ([\d.]+) s/step", t, "core_step")
    if gf_numpy: figure("dgemm_2048_numpy_gflops", gf_numpy, "GFLOP/s", "higher", baseline=True)
    if gf_sys: figure("dgemm_2048_system_openblas_gflops", gf_sys, "GFLOP/s", "higher")
    if dense: figure("dense_f64_step_s", dense, "s", "lower")
    if numpy: figure("dense_f64_step_numpy_s", numpy, "s", "lower", baseline=True)
    if gemms: figure("dense_f64_two_dgemms_s", gemms, "s", "lower")
    if f32: figure("dense_f32_step_s", f32, "s", "lower")
    if dense and numpy: figure("dense_f64_step_vs_numpy", dense / numpy, "×", "lower", 0.35)
    if dense and gemms: figure("dense_f64_step_vs_two_dgemms", dense / gemms, "×", "lower", 1.15)
    if onehot: figure("onehot_step_s", onehot, "s", "lower")
    if sc_onehot: figure("onehot_step_scipy_s", sc_onehot, "s", "lower", baseline=True)
    if onehot and sc_onehot: figure("onehot_speedup_vs_scipy", sc_onehot / onehot, "×", "higher", 5)
    if positional: figure("positional_step_s", positional, "s", "lower")
    if sc_positional: figure("positional_step_scipy_s", sc_positional, "s", "lower", baseline=True)
    if positional and sc_positional: figure("positional_speedup_vs_scipy", sc_positional / positional, "×", "higher", 5)

# ---- ingestion (bench/ingest.sh): its markdown table and ratio lines, once per corpus
def ingestion(bench, prefix):
    """The figures of one bench/ingest.sh run, named PREFIX_…; returns its input file and size."""
    if read(f"{bench}.status") is None:
        return None
    status_ok(bench)
    t = read(f"{bench}.log") or ""
    rows = {m.group(1): [float(x.replace(",", "")) for x in m.group(2).split("|")[:4]]
            for m in re.finditer(r"^\| (\(\w+\)) \| `[^`]*` \| ([^\n]*) \|$", t, re.M)}
    def speed(step, name, target=None):
        if step in rows:
            figure(f"{prefix}_{name}", rows[step][2], "MB/s", "higher", target)
        else:
            failed.append(f"{bench} (no row {step})")
    speed("(c)", "whitespace_order3_mbps")
    speed("(d)", "icu_order3_mbps", 60)
    if "(d1)" in rows: speed("(d1)", "icu_order3_one_core_mbps")
    if "(b)" in rows: figure(f"{prefix}_python_baseline_s", rows["(b)"][0], "s", "lower", baseline=True)
    if "(c)" in rows: figure(f"{prefix}_whitespace_order3_s", rows["(c)"][0], "s", "lower")
    x = number(r"speed-up vs python \(b\): ([\d.]+)x wall", t, bench)
    if x: figure(f"{prefix}_whitespace_vs_python", x, "×", "higher", 50)
    if "(g)" in rows: figure(f"{prefix}_kenlm_lmplz_s", rows["(g)"][0], "s", "lower", baseline=True)
    x = number(r"speed-up vs KenLM lmplz \(g\): ([\d.]+)x wall", t, bench) if "(g)" in rows else None
    if x: figure(f"{prefix}_whitespace_vs_kenlm", x, "×", "higher", 4)
    m = re.search(r"^Input: (\S+) \(([\d,]+) bytes", t, re.M)
    return {"file": os.path.basename(m.group(1)), "bytes": int(m.group(2).replace(",", ""))} if m else None


# The messy corpus (the bench tier) keeps the names ingest_…; the repetitive one (KJV × 20, PTB × 20's
# stand-in, which no offline source has) is ingest_repetitive_….
ingest_input = ingestion("ingest", "ingest")
ingest_repetitive_input = ingestion("ingest_repetitive", "ingest_repetitive")

# ---- analyze (its analysis.json `timing`, and CPU seconds from GNU time)
for bench, limit in (("analyze_quick", 45), ("analyze", 180)):
    if read(f"{bench}.status") is None:
        continue
    status_ok(bench)
    j = read(f"{bench}.json")
    if j is None:
        failed.append(f"{bench} (no analysis.json)")
        continue
    timing = json.loads(j)["timing"]
    figure(f"{bench}_total_s", timing["total"], "s", "lower", limit)
    for stage, seconds in sorted(timing.items()):
        if stage != "total":
            figure(f"{bench}_{re.sub(r'[^A-Za-z0-9]+', '_', stage).strip('_')}_s", seconds, "s", "lower")
    m = re.search(r"^cpu ([\d.]+) ([\d.]+)$", read(f"{bench}.log") or "", re.M)
    if m:
        figure(f"{bench}_cpu_s", float(m.group(1)) + float(m.group(2)), "s", "lower")

# ---- compatibility solve (bench/compat.sh) against NumPy's lstsq on the explicit system; residuals must agree
if read("compat.status") is not None:
    status_ok("compat")
    t = read("compat.log") or ""
    for m, d in [(300, 16), (1000, 16)]:
        head = rf"^compat kjv200 m={m} d={d}: "
        ours = re.search(head + r"ntpsep ([\d.]+) s, residual ([\d.e+-]+)$", t, re.M)
        theirs = re.search(head + r"numpy lstsq: residual ([\d.e+-]+), .* build ([\d.]+) s, lstsq ([\d.]+) s$", t, re.M)
        if not ours or not theirs:
            failed.append(f"compat (no lines for m = {m}, d = {d})")
            continue
        numpy_s = float(theirs.group(2)) + float(theirs.group(3))
        figure(f"compat_kjv200_m{m}_d{d}_s", float(ours.group(1)), "s", "lower")
        figure(f"compat_kjv200_m{m}_d{d}_numpy_s", numpy_s, "s", "lower", baseline=True)
        figure(f"compat_kjv200_m{m}_d{d}_speedup_vs_numpy", numpy_s / max(float(ours.group(1)), 1e-6), "×", "higher")
        if abs(float(ours.group(2)) - float(theirs.group(1))) > 1e-9 * float(theirs.group(1)):
            failed.append(f"compat (m = {m}, d = {d}: residual {ours.group(2)} against NumPy's {theirs.group(1)})")
    whole = number(r"^compat kjv m=1000 d=16 \(whole vocabulary\): ntpsep ([\d.]+) s", t, "compat")
    if whole is not None:
        figure("compat_kjv_m1000_d16_whole_vocabulary_s", whole, "s", "lower")

# ---- threshold decisions (bench/threshold.sh): wall seconds per instance, certificates VALID
if read("threshold.status") is not None:
    status_ok("threshold")
    total = 0.0
    for m in re.finditer(r"^\| (m\d+-d\d+-s\d+) \| [\d.]+ \| (\S+) \| ([\d.]+) \| [\d.]+ \| \d+ \| (\S+) \|", read("threshold.log") or "", re.M):
        name, verdict, wall, cert = m.groups()
        figure(f"threshold_{name.replace('-', '_')}_s", float(wall), "s", "lower")
        total += float(wall)
        if cert != "VALID":
            failed.append(f"threshold ({name}: certificate {cert})")
    if total:
        figure("threshold_all_20_s", total, "s", "lower")

# ---- LP solvers (bench/lp_solvers.sh results.md): CPU seconds where a solver answered
if read("lp_solvers.status") is not None:
    status_ok("lp_solvers")
    lines = [l for l in (read("lp_solvers.md") or "").splitlines() if l.startswith("|")]
    if lines:
        header = [c.strip() for c in lines[0].strip("|").split("|")]
        for line in lines[2:]:
            cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
            for solver, cell in zip(header[4:], cells[4:]):
                m = re.match(r"([\d.]+) \(", cell)
                if m and not cells[0].startswith("answered"):
                    key = re.sub(r"[^A-Za-z0-9]+", "_", f"lp_{cells[0]}_{solver}").strip("_").lower()
                    # GLPK is the solver ntpsep links; Clp and HiGHS are the alternatives measured against it.
                    figure(f"{key}_cpu_s", float(m.group(1)), "s", "lower", baseline="glpk" not in solver.lower())

# ---- the machine
doctor = {}
for line in (read("doctor.log") or "").splitlines():
    if ":" in line:
        k, v = line.split(":", 1)
        doctor[k.strip()] = v.strip()
lscpu = read("lscpu.log") or ""
m = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
machine = {
    "cpu": m.group(1).strip() if m else doctor.get("cpu", "unknown"),
    "cores": int((read("nproc") or "0").strip() or 0),
    "blas": doctor.get("blas library"),
    "blas_kernel": doctor.get("blas kernel"),
    "blas_kernel_reason": doctor.get("kernel reason"),
    "ckernels": doctor.get("ckernels"),
    "load_start": (read("load-start") or "").strip(),
    "load_end": (read("load-end") or "").strip(),
    "commit": (read("commit") or "").strip(),
    "date": (read("date") or "").strip(),
}
result = {"machine": machine, "quick": (read("quick") or "0").strip() == "1", "ingest_input": ingest_input,
          "ingest_repetitive_input": ingest_repetitive_input, "figures": figures, "failed": sorted(set(failed))}
print(json.dumps(result, indent=1, sort_keys=True, ensure_ascii=False))
