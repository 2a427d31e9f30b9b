#!/usr/bin/env python3
"""Independent verdict for one threshold instance: the full separability LP in scipy's HiGHS.

max t  s.t.  (e_a - e_v)^T W h_j >= t (v not in S_j),  (e_z - e_a)^T W h_j = 0 (z in S_j),  0 <= t <= 1.
Prints 'separable', 'not-separable' or 'no-answer' (time limit) and the seconds.
usage: threshold_lp.py DATA.npz H.npy [--time-limit 60]
"""
import sys, time
import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog


def main():
    data, hpath = sys.argv[1], sys.argv[2]
    limit = float(sys.argv[sys.argv.index("--time-limit") + 1]) if "--time-limit" in sys.argv else 60.0
    M = sp.load_npz(data).tocsr()
    H = np.load(hpath)
    m, V = M.shape
    d = H.shape[0]
    # Each row holds 2d entries of W (+1 for t): both blocks are built as sparse COO, never dense.
    blocks = {"ub": ([], [], []), "eq": ([], [], [])}
    count = {"ub": 0, "eq": 0}
    for j in range(m):
        S = M.indices[M.indptr[j]:M.indptr[j + 1]]
        a, h, support = S[0], H[:, j], set(S.tolist())
        for v in range(V):
            if v == a:
                continue
            kind = "eq" if v in support else "ub"
            rows, cols, vals = blocks[kind]
            k = count[kind]
            rows += [k] * (2 * d)
            cols += list(range(v * d, (v + 1) * d)) + list(range(a * d, (a + 1) * d))
            vals += list(h) + list(-h)
            if kind == "ub":
                rows.append(k); cols.append(V * d); vals.append(1.0)
            count[kind] += 1
    def matrix(kind):
        rows, cols, vals = blocks[kind]
        return sp.csr_matrix((vals, (rows, cols)), shape=(count[kind], V * d + 1)) if count[kind] else None
    A_ub, A_eq = matrix("ub"), matrix("eq")
    c = np.zeros(V * d + 1)
    c[-1] = -1
    t0 = time.perf_counter()
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(A_ub.shape[0]), A_eq=A_eq,
                  b_eq=np.zeros(A_eq.shape[0]) if A_eq is not None else None,
                  bounds=[(None, None)] * (V * d) + [(0, 1)], method="highs-ipm",
                  options={"time_limit": limit})
    seconds = time.perf_counter() - t0
    if res.status != 0:
        print("no-answer", f"{seconds:.1f}")
    else:
        print("separable" if -res.fun > 0.5 else "not-separable", f"{seconds:.1f}")


if __name__ == "__main__":
    main()
