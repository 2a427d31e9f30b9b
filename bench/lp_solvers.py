#!/usr/bin/env python3
"""GLPK vs COIN-OR Clp vs scipy's HiGHS on the full separability LP (issue 8).

  lp_solvers.py make DIR [--only NAME,...]     write DIR/NAME.mps (free MPS) and DIR/NAME.npz (scipy form)
  lp_solvers.py run DIR [--time-limit 60] [--only NAME,...] [--solvers KEY,...] [--no-skip] [--tag T]
                                               run every solver on every instance, write DIR/results.json
                                               and DIR/results.md (the README table)
  lp_solvers.py highs NPZ METHOD LIMIT         one scipy.optimize.linprog run (used by `run`)
  lp_solvers.py selftest DIR                   two hand-checked LPs through every solver
  lp_solvers.py verify DIR NAME                GLPK's W for NAME checked with numpy (margins ≥ 1, ties 0)

The LP is the one of Separability.decideByLP / ConstraintGenerationLP, with every margin row at once:
variables W (V × d, free) and t, maximise t subject to
    (e_{a_j} − e_v)ᵀ W h̄_j − t ≥ 0   for every context j and v ∉ S_j,
    (e_z − e_{a_j})ᵀ W h̄_j     = 0   for z ∈ S_j \\ {a_j},
    0 ≤ t ≤ 1,
with anchor a_j = the smallest token of S_j. The optimum is t = 1 if separable, t = 0 if not.
The files minimise −t (MPS has no portable "maximise"), so a solver's objective is −t.

Instances: random supports, V = 200, support sizes k_j ~ Geometric(p) on {1, 2, …} (that is 1 + the
number of failures before the first success, capped at V), tokens uniform without replacement, and
H (d × m) with i.i.d. N(0, 1/d) entries. Everything is drawn from numpy's default_rng(seed), and the
instance list below is fixed, so the files are byte-identical on every run.
"""
import argparse, json, os, re, resource, subprocess, sys, time

import numpy as np
import scipy.sparse as sp

V = 200
# name, m, d, p, seed, in order of nonzeros (the skip rule of `run` relies on it). At m = 100 the
# threshold lies between d = 6 and d = 20 (theory.md §7).
INSTANCES = [
    ("m100-d4", 100, 4, 0.35, 1),
    ("m100-d8", 100, 8, 0.35, 1),
    ("m100-d12", 100, 12, 0.35, 1),
    ("m100-d20", 100, 20, 0.35, 1),
    ("issue-m100-d50-p0.4", 100, 50, 0.40, 8),
    ("m100-d50", 100, 50, 0.35, 1),
    ("m400-d16", 400, 16, 0.35, 2),
    ("m100-d100", 100, 100, 0.35, 1),
    ("m400-d40", 400, 40, 0.35, 2),
]

# key -> (label, argv builder). Each builder gets (mps path, solution path, limit in s).
# clp's command line solves the dual LP instead when rows ≫ columns ("dualize", default auto); in
# Clp 1.17.6 that reformulation throws CoinError in ClpModel::addRows on the m = 400 instances, and
# the library calls the project would make (Clp_dual, Clp_primal) never dualize: so it is off.
SOLVERS = {
    "glpk-primal": ("GLPK primal simplex", lambda f, s, L: ["glpsol", "--freemps", f, "--tmlim", str(L), "-o", s]),
    "glpk-dual": ("GLPK dual simplex", lambda f, s, L: ["glpsol", "--freemps", f, "--dual", "--tmlim", str(L), "-o", s]),
    "glpk-ipm": ("GLPK interior point", lambda f, s, L: ["glpsol", "--freemps", f, "--interior", "--tmlim", str(L), "-o", s]),
    "clp-dual": ("Clp dual simplex", lambda f, s, L: ["clp", f, "-dualize", "0", "-seconds", str(L), "-dualsimplex", "-solution", s]),
    "clp-primal": ("Clp primal simplex", lambda f, s, L: ["clp", f, "-dualize", "0", "-seconds", str(L), "-primalsimplex", "-solution", s]),
    "clp-barrier": ("Clp barrier (+crossover)", lambda f, s, L: ["clp", f, "-dualize", "0", "-seconds", str(L), "-barrier", "-solution", s]),
    "highs-ds": ("scipy HiGHS dual simplex", None),
    "highs-ipm": ("scipy HiGHS interior point", None),
}


# ---------------------------------------------------------------- instances

def draw(m, d, p, seed):
    """Supports (list of sorted int arrays) and H (d × m)."""
    rng = np.random.default_rng(seed)
    k = np.minimum(rng.geometric(p, size=m), V)
    supports = [np.sort(rng.choice(V, size=int(kj), replace=False)) for kj in k]
    H = rng.standard_normal((d, m)) / np.sqrt(d)
    return supports, H


def lp_matrix(supports, H):
    """(A_ub, A_eq) in CSR with the column order W[r, f] -> r·d + f, t -> V·d.

    A_ub x ≤ 0 holds the margin rows negated (t − (e_a − e_v)ᵀ W h̄_j ≤ 0), A_eq x = 0 the tie rows.
    Row order: context by context, then by token."""
    d, m = H.shape
    f = np.arange(d)
    mrow_ctx, mrow_a, mrow_v, trow_ctx, trow_a, trow_z = [], [], [], [], [], []
    for j, S in enumerate(supports):
        a = S[0]
        off = np.setdiff1d(np.arange(V), S, assume_unique=True)
        mrow_ctx.append(np.full(off.size, j)); mrow_a.append(np.full(off.size, a)); mrow_v.append(off)
        trow_ctx.append(np.full(S.size - 1, j)); trow_a.append(np.full(S.size - 1, a)); trow_z.append(S[1:])
    cat = lambda xs: np.concatenate(xs).astype(np.int64)
    mc, ma, mv = cat(mrow_ctx), cat(mrow_a), cat(mrow_v)
    tc, ta, tz = cat(trow_ctx), cat(trow_a), cat(trow_z)
    ncol = V * d + 1

    def rows(ctx, plus, minus, extra_t):
        n = ctx.size
        h = H[:, ctx].T                                   # n × d
        cols = np.concatenate([plus[:, None] * d + f, minus[:, None] * d + f], axis=1)
        vals = np.concatenate([h, -h], axis=1)
        if extra_t:
            cols = np.concatenate([cols, np.full((n, 1), V * d)], axis=1)
            vals = np.concatenate([vals, np.ones((n, 1))], axis=1)
        r = np.repeat(np.arange(n), cols.shape[1])
        return sp.csr_matrix((vals.ravel(), (r, cols.ravel())), shape=(n, ncol))

    A_ub = rows(mc, mv, ma, True)        # −(e_a − e_v)ᵀ W h̄ + t ≤ 0
    A_eq = rows(tc, tz, ta, False)       # (e_z − e_a)ᵀ W h̄ = 0
    return A_ub, A_eq


def write_free_mps(path, A_ub, A_eq):
    """Free MPS of  min −t  s.t.  −A_ub x ≥ 0 (rows G), A_eq x = 0 (rows E), W free, 0 ≤ t ≤ 1.

    Values are written with repr (shortest round-trip), so every solver reads the same float64 data."""
    n_ub, n_eq, ncol = A_ub.shape[0], A_eq.shape[0], A_ub.shape[1]
    A = sp.vstack([-A_ub, A_eq]).tocsc()
    A.sort_indices()
    rnames = [f"g{i}" for i in range(n_ub)] + [f"e{i}" for i in range(n_eq)]
    tmp = path + ".tmp"
    with open(tmp, "w") as out:
        # "FREE" after the name switches CoinMpsIO to free format (GLPK ignores it); both readers
        # want the RHS header even when every right-hand side is 0.
        out.write(f"NAME {os.path.basename(path).removesuffix('.mps')} FREE\nROWS\n N obj\n")
        out.write("".join(f" G {r}\n" for r in rnames[:n_ub]))
        out.write("".join(f" E {r}\n" for r in rnames[n_ub:]))
        out.write("COLUMNS\n")
        ip, ix, vals = A.indptr, A.indices.tolist(), A.data.tolist()
        for c in range(ncol):
            name = "t" if c == ncol - 1 else f"x{c}"
            lines = [f" {name} {rnames[ix[e]]} {vals[e]!r}\n" for e in range(ip[c], ip[c + 1])]
            if c == ncol - 1:
                lines.insert(0, f" {name} obj -1\n")
            elif not lines:
                lines = [f" {name} obj 0\n"]      # declare a column no row uses
            out.write("".join(lines))
        out.write("RHS\nBOUNDS\n")
        out.write("".join(f" FR bnd x{c}\n" for c in range(ncol - 1)))
        out.write(" UP bnd t 1\nENDATA\n")
    os.replace(tmp, path)


def make(directory, only):
    os.makedirs(directory, exist_ok=True)
    meta = {}
    for name, m, d, p, seed in INSTANCES:
        if only and name not in only:
            continue
        t0 = time.perf_counter()
        supports, H = draw(m, d, p, seed)
        A_ub, A_eq = lp_matrix(supports, H)
        mps = os.path.join(directory, name + ".mps")
        write_free_mps(mps, A_ub, A_eq)
        tmp = os.path.join(directory, name + ".tmp.npz")
        np.savez(tmp, ub_data=A_ub.data, ub_indices=A_ub.indices, ub_indptr=A_ub.indptr,
                 eq_data=A_eq.data, eq_indices=A_eq.indices, eq_indptr=A_eq.indptr,
                 shape=np.array([A_ub.shape[0], A_eq.shape[0], A_ub.shape[1]]))
        os.replace(tmp, os.path.join(directory, name + ".npz"))
        k = np.array([s.size for s in supports])
        meta[name] = dict(m=m, d=d, V=V, p=p, seed=seed, rows=A_ub.shape[0] + A_eq.shape[0],
                          columns=A_ub.shape[1], nonzeros=int(A_ub.nnz + A_eq.nnz),
                          mean_support=float(k.mean()), max_support=int(k.max()),
                          mps_mb=round(os.path.getsize(mps) / 1e6, 1))
        print(f"{name}: {meta[name]['rows']} rows × {meta[name]['columns']} columns, "
              f"{meta[name]['nonzeros']} nonzeros, {meta[name]['mps_mb']} MB MPS "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
    path = os.path.join(directory, "instances.json")
    old = json.load(open(path)) if os.path.exists(path) else {}
    old.update(meta)
    with open(path + ".tmp", "w") as out:
        json.dump(old, out, indent=1, sort_keys=True)
    os.replace(path + ".tmp", path)


# ---------------------------------------------------------------- solvers

def load_npz(path):
    z = np.load(path)
    n_ub, n_eq, ncol = (int(x) for x in z["shape"])
    A_ub = sp.csr_matrix((z["ub_data"], z["ub_indices"], z["ub_indptr"]), shape=(n_ub, ncol))
    A_eq = sp.csr_matrix((z["eq_data"], z["eq_indices"], z["eq_indptr"]), shape=(n_eq, ncol))
    return A_ub, A_eq


def highs(npz, method, limit):
    """Prints one JSON line: status, t, solver seconds (the linprog call alone)."""
    from scipy.optimize import linprog
    A_ub, A_eq = load_npz(npz)
    ncol = A_ub.shape[1]
    c = np.zeros(ncol); c[-1] = -1
    bounds = np.array([[-np.inf, np.inf]] * (ncol - 1) + [[0, 1]])
    t0 = time.perf_counter()
    r = linprog(c, A_ub=A_ub, b_ub=np.zeros(A_ub.shape[0]), A_eq=A_eq if A_eq.shape[0] else None,
                b_eq=np.zeros(A_eq.shape[0]) if A_eq.shape[0] else None, bounds=bounds,
                method=method, options={"time_limit": float(limit), "presolve": True})
    el = time.perf_counter() - t0
    status = {0: "optimal", 1: "limit", 2: "infeasible", 3: "unbounded"}.get(r.status, "error")
    print(json.dumps(dict(status=status, t=(float(r.x[-1]) + 0.0 if r.x is not None and status == "optimal" else None),
                          solver_seconds=round(el, 2), message=r.message)))


def parse(key, stdout, solfile):
    """(status, t, solver-reported seconds) from a CLI solver's output."""
    if key.startswith("glpk"):
        sol = open(solfile).read() if os.path.exists(solfile) else ""
        secs = re.findall(r"Time used:\s*([\d.]+) secs", stdout)
        secs = float(secs[-1]) if secs else None
        if "TIME LIMIT EXCEEDED" in stdout:
            return "limit", None, secs
        st = re.search(r"^Status:\s*(\S+)", sol, re.M)
        ob = re.search(r"^Objective:\s*obj = (\S+)", sol, re.M)
        if st and st.group(1) in ("OPTIMAL",) and ob:
            return "optimal", 0.0 - float(ob.group(1)), secs
        return (st.group(1).lower() if st else "error"), None, secs
    secs = re.findall(r"iterations time ([\d.]+)", stdout)      # "Optimal objective 0 - 1034 iterations time 0.632"
    secs = float(secs[-1]) if secs else None
    m = re.search(r"^(Optimal|Stopped on time|Primal infeasible|Dual infeasible|Problem proven infeasible|"
                  r"Stopped on iterations|Problem is infeasible).*?objective value\s*(\S+)?", stdout, re.M)
    if m is None:
        m2 = re.search(r"^(Optimal objective|Optimal)\s+(\S+)", stdout, re.M)
        if m2:
            return "optimal", 0.0 - float(m2.group(2)), secs
        return "error", None, secs
    if m.group(1) == "Optimal":
        return "optimal", 0.0 - float(m.group(2)), secs
    return ("limit" if m.group(1).startswith("Stopped") else m.group(1).lower()), None, secs


def run_one(directory, name, key, limit):
    """Runs one solver on one instance; returns a result row.

    The budget is `limit` seconds of CPU time (user + sys, enforced with prlimit), not of wall time:
    the machine is shared, and a wall-clock budget would measure the other users' load. The solvers'
    own limits (wall clock in GLPK and HiGHS) are set to the hard wall cap, 4 × limit, so that the
    CPU limit is the one that binds. Address space is capped at 8 GiB so that a dense Cholesky
    factor cannot take the shared machine's memory."""
    mps = os.path.join(directory, name + ".mps")
    solfile = os.path.join(directory, f"{name}.{key}.sol")
    if os.path.exists(solfile):
        os.remove(solfile)
    cap = 4 * limit
    if key.startswith("highs"):
        argv = [sys.executable, os.path.abspath(__file__), "highs", os.path.join(directory, name + ".npz"),
                key, str(cap)]
    else:
        argv = SOLVERS[key][1](mps, solfile, cap)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(["timeout", "-s", "KILL", str(cap), "prlimit", f"--cpu={limit}:{limit + 1}",
                        f"--as={8 << 30}"] + argv, capture_output=True, text=True,
                       env=dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1"))
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(os.path.join(directory, f"{name}.{key}.log"), "w") as log:
        log.write(p.stdout + p.stderr + f"\n[exit {p.returncode}]\n")
    if p.returncode in (-9, 137, 124, -24, 152) or cpu >= limit:
        status, t, secs = "limit", None, None
    elif key.startswith("highs"):
        try:
            r = json.loads(p.stdout.strip().splitlines()[-1])
            status, t, secs = r["status"], r["t"], r["solver_seconds"]
        except (ValueError, IndexError):
            status, t, secs = "error", None, None
    else:
        status, t, secs = parse(key, p.stdout, solfile)
    if os.path.exists(solfile):
        os.remove(solfile)
    return dict(instance=name, solver=key, status=status, t=t, wall=round(wall, 2), cpu=round(cpu, 2),
                solver_seconds=secs)


def verdict(t):
    if t is None:
        return None
    return "separable" if t > 0.5 else "not separable"


def cell(r, limit):
    if r["status"] == "optimal":
        return f"{r['cpu']:.1f} ({r['wall']:.0f}) t={r['t']:.2g}"
    if r["status"] == "limit":
        return f"no answer in {limit}"
    if r["status"] == "skipped":
        return "skipped"
    return f"{r['status']} after {r['cpu']:.1f}"


def table(directory, results, limit):
    meta = json.load(open(os.path.join(directory, "instances.json")))
    names = [n for n, *_ in INSTANCES if any(r["instance"] == n for r in results)]
    keys = [k for k in SOLVERS if any(r["solver"] == k for r in results)]
    lines = ["| instance | rows × columns | nonzeros | verdict | " + " | ".join(SOLVERS[k][0] for k in keys) + " |",
             "|---|---|---|---|" + "---|" * len(keys)]
    for n in names:
        rs = {r["solver"]: r for r in results if r["instance"] == n}
        vs = {verdict(r["t"]) for r in rs.values() if r["status"] == "optimal"}
        v = "—" if not vs else (vs.pop() if len(vs) == 1 else "DISAGREE")
        mt = meta[n]
        lines.append(f"| {n} | {mt['rows']:,} × {mt['columns']:,} | {mt['nonzeros']:,} | {v} | "
                     + " | ".join(cell(rs[k], limit) if k in rs else "" for k in keys) + " |")
    solved = {k: sum(1 for r in results if r["solver"] == k and r["status"] == "optimal") for k in keys}
    lines.append("| **answered** | | | | " + " | ".join(f"**{solved[k]}/{len(names)}**" for k in keys) + " |")
    return "\n".join(lines) + "\n"


def run(directory, limit, only, solvers, skip, tag=""):
    """Every solver on every instance, in the order of INSTANCES (by size within each m).

    With `skip`, a solver that gave no answer on an instance is not run on later instances with at
    least as many nonzeros: those are larger LPs of the same kind, and the budget of the whole run
    stays near 15 CPU-minutes. The table marks them "skipped"."""
    meta = json.load(open(os.path.join(directory, "instances.json")))
    results, failed_at = [], {}
    for name, *_ in INSTANCES:
        if name not in meta or (only and name not in only):
            continue
        for key in solvers:
            if skip and key in failed_at and meta[name]["nonzeros"] >= failed_at[key]:
                r = dict(instance=name, solver=key, status="skipped", t=None, wall=0, cpu=0, solver_seconds=None)
            else:
                r = run_one(directory, name, key, limit)
                if r["status"] != "optimal":
                    failed_at[key] = min(failed_at.get(key, meta[name]["nonzeros"]), meta[name]["nonzeros"])
            results.append(r)
            print(f"{name:22s} {key:12s} {r['status']:8s} t={r['t']}  cpu {r['cpu']:.2f} s  wall {r['wall']:.2f} s"
                  f"  (solver's own {r['solver_seconds']})  load {os.getloadavg()[0]:.1f}", flush=True)
        vs = {verdict(r["t"]) for r in results if r["instance"] == name and r["status"] == "optimal"}
        if len(vs) > 1:
            print(f"{name}: SOLVERS DISAGREE: {vs}", flush=True)
    stem = "results" + (f"-{tag}" if tag else "")
    for fname, text in ((stem + ".json", json.dumps(results, indent=1)), (stem + ".md", table(directory, results, limit))):
        p = os.path.join(directory, fname)
        with open(p + ".tmp", "w") as out:
            out.write(text)
        os.replace(p + ".tmp", p)
    print(table(directory, results, limit))
    return results


def verify(directory, name, limit):
    """Re-solves NAME with GLPK's dual simplex, reads W from its solution file, and checks it with
    numpy alone: every margin row ≥ 1 and every tie row ≈ 0 after scaling W by 1/t. A separable
    verdict is then certified by the W itself, not by the solver's word."""
    A_ub, A_eq = load_npz(os.path.join(directory, name + ".npz"))
    sol = os.path.join(directory, name + ".verify.txt")
    subprocess.run(["timeout", str(4 * limit), "prlimit", f"--cpu={limit}", "glpsol", "--freemps",
                    os.path.join(directory, name + ".mps"), "--dual", "-w", sol], capture_output=True, check=True)
    x = np.zeros(A_ub.shape[1])
    with open(sol) as f:
        for line in f:                       # GLPK plain solution format: "j COL STAT PRIM DUAL"
            if line.startswith("j "):
                parts = line.split()
                x[int(parts[1]) - 1] = float(parts[3])
    os.remove(sol)
    t = x[-1]
    if t < 0.5:
        print(f"{name}: GLPK says t = {t:g}: nothing to verify with a W")
        return False
    w = x.copy(); w[-1] = 0; w /= t
    margins = -(A_ub @ w)                    # (e_a − e_v)ᵀ W h̄_j, must be ≥ 1
    ties = A_eq @ w if A_eq.shape[0] else np.zeros(1)
    scale = np.abs(w).max()
    ok = margins.min() >= 1 - 1e-7 and np.abs(ties).max() <= 1e-7 * max(scale, 1)
    print(f"{name}: t = {t:.12g}, min margin of W/t = {margins.min():.9f} over {margins.size} rows, "
          f"max |tie| = {np.abs(ties).max():.2e} (max |W| = {scale:.3g}): {'VERIFIED separable' if ok else 'FAILED'}")
    return ok


def selftest(directory):
    """Two LPs whose answer is known by hand, through every solver.

    theory.md §7 example: d = 1, V = 3, h̄_A = h̄_B = 1, S_A = {0, 1}, S_B = {0}: A's tie forces
    w_0 = w_1, so B cannot be separated: t = 0. With h̄_A = (1, 0), h̄_B = (0, 1) (d = 2) the two
    contexts use disjoint columns of W and each is separable on its own: t = 1."""
    global V
    os.makedirs(directory, exist_ok=True)
    saved, V = V, 3
    ok = True
    try:
        for name, H, want in (("self-notsep", np.array([[1.0, 1.0]]), 0.0), ("self-sep", np.eye(2), 1.0)):
            A_ub, A_eq = lp_matrix([np.array([0, 1]), np.array([0])], H)
            write_free_mps(os.path.join(directory, name + ".mps"), A_ub, A_eq)
            np.savez(os.path.join(directory, name + ".npz"), ub_data=A_ub.data, ub_indices=A_ub.indices,
                     ub_indptr=A_ub.indptr, eq_data=A_eq.data, eq_indices=A_eq.indices, eq_indptr=A_eq.indptr,
                     shape=np.array([A_ub.shape[0], A_eq.shape[0], A_ub.shape[1]]))
            for key in SOLVERS:
                r = run_one(directory, name, key, 10)
                good = r["status"] == "optimal" and abs(r["t"] - want) < 1e-6
                ok &= good
                print(f"{name} {key:12s} {r['status']} t={r['t']} (want {want}) {'ok' if good else 'FAIL'}")
    finally:
        V = saved
    print("selftest: " + ("all solvers agree with the hand-computed optimum" if ok else "FAILED"))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("make"); a.add_argument("dir"); a.add_argument("--only", default="")
    a = sub.add_parser("run"); a.add_argument("dir"); a.add_argument("--time-limit", type=int, default=60)
    a.add_argument("--only", default=""); a.add_argument("--solvers", default=",".join(SOLVERS))
    a.add_argument("--no-skip", action="store_true", help="run every solver on every instance")
    a.add_argument("--tag", default="", help="write results-TAG.json/.md instead of results.json/.md")
    a = sub.add_parser("highs"); a.add_argument("npz"); a.add_argument("method"); a.add_argument("limit", type=float)
    a = sub.add_parser("selftest"); a.add_argument("dir")
    a = sub.add_parser("verify"); a.add_argument("dir"); a.add_argument("name")
    a.add_argument("--time-limit", type=int, default=120)
    a = ap.parse_args()
    if a.cmd == "make":
        make(a.dir, set(filter(None, a.only.split(","))))
    elif a.cmd == "run":
        bad = [k for k in a.solvers.split(",") if k not in SOLVERS]
        if bad:
            sys.exit(f"lp_solvers.py: unknown solver {bad[0]!r}; known: {', '.join(SOLVERS)}")
        results = run(a.dir, a.time_limit, set(filter(None, a.only.split(","))), a.solvers.split(","),
                      not a.no_skip, a.tag)
        for name in {r["instance"] for r in results}:
            if len({verdict(r["t"]) for r in results if r["instance"] == name and r["status"] == "optimal"}) > 1:
                sys.exit(f"lp_solvers.py: solvers disagree on {name}; see {a.dir}/{name}.*.log")
    elif a.cmd == "highs":
        highs(a.npz, a.method, a.limit)
    elif a.cmd == "verify":
        sys.exit(0 if verify(a.dir, a.name, a.time_limit) else 1)
    else:
        sys.exit(0 if selftest(a.dir) else 1)


if __name__ == "__main__":
    main()
