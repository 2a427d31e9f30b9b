#!/usr/bin/env python3
"""The least-squares residual of the log-odds system P_U(W H) = c in numpy, from a compatibility certificate alone
(`ntpsep check --compat-certificate FILE`: its supports, counts and dense H), at any number of contexts.

An independent second computation of `check`'s compat_residual where the explicit system is too large for
np.linalg.lstsq (the whole KJV: 410,081 equations x 879,744 weights). Each token's weights are eliminated with
numpy's SVD of its contexts' rows of H, and the per-context shifts t solve A t = -g by conjugate gradients with
A's diagonal as preconditioner (README, "Past 3,000 contexts"). Prints the relative residual and the CG steps.

usage: python3 scripts/compat_by_shifts.py CERT.npz [--tolerance 1e-10]
"""
import argparse

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("certificate")
    ap.add_argument("--tolerance", type=float, default=1e-10, help="stop CG at this fraction of ||g||")
    ap.add_argument("--max-steps", type=int, default=20000)
    a = ap.parse_args()
    z = np.load(a.certificate)
    if "H" not in z.files:
        raise SystemExit(f"{a.certificate}: no dense H member (sparse-H certificates are not supported here)")
    H, indptr, tokens, counts = z["H"], z["support_indptr"], z["support_indices"], z["count_data"].astype(float)
    m = len(indptr) - 1
    context = np.repeat(np.arange(m), np.diff(indptr))
    logp = np.log(counts / np.add.reduceat(counts, indptr[:-1])[context])
    c = logp - (np.add.reduceat(logp, indptr[:-1]) / np.diff(indptr))[context]

    order = np.argsort(tokens, kind="stable")
    starts = np.searchsorted(tokens[order], np.arange(int(z["vocab_size"]) + 1))
    coupled, diagonal, g = [], np.zeros(m), np.zeros(m)
    for v in range(len(starts) - 1):
        entries = order[starts[v]:starts[v + 1]]
        if len(entries) == 0:
            continue
        rows = context[entries]
        u, s, _ = np.linalg.svd(H[:, rows].T, full_matrices=False)
        u = u[:, : int((s > 1000 * np.finfo(float).eps * max(len(rows), H.shape[0]) * s[0]).sum())]
        if u.shape[1] == len(rows):
            continue  # the token fits its contexts whatever the shifts
        coupled.append((rows, u, entries))
        diagonal[rows] += 1 - (u * u).sum(1)
        x = c[entries]
        g[rows] += x - u @ (u.T @ x)

    def times_a(t):
        out = np.zeros(m)
        for rows, u, _ in coupled:
            x = t[rows]
            out[rows] += x - u @ (u.T @ x)  # a token holds each context once
        return out

    inverse = np.where(diagonal > 1e-12, 1 / np.maximum(diagonal, 1e-300), 0)
    b = -g
    t, r = np.zeros(m), b.copy()
    y = inverse * r
    p, ry, target = y.copy(), r @ y, a.tolerance * np.linalg.norm(b)
    best, best_norm, steps = t.copy(), np.linalg.norm(r), 0
    while steps < a.max_steps and np.linalg.norm(r) > target:
        q = times_a(p)
        pq = p @ q
        if pq <= 0:
            break
        step = ry / pq
        t += step * p
        r -= step * q
        steps += 1
        if np.linalg.norm(r) < best_norm:
            best, best_norm = t.copy(), np.linalg.norm(r)
        y = inverse * r
        ry, previous = r @ y, ry
        p = y + (ry / previous) * p

    residual2 = 0.0
    for rows, u, entries in coupled:
        x = c[entries] + best[rows]
        x -= u @ (u.T @ x)
        residual2 += x @ x
    print(f"relative residual {np.sqrt(residual2) / np.linalg.norm(c):.15g} after {steps} CG steps "
          f"(||A t + g|| = {best_norm / np.linalg.norm(b):.2g} of ||g||)")


if __name__ == "__main__":
    main()
