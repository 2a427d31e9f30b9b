#!/usr/bin/env python3
"""The NumPy baseline of bench/compat.sh: the compatibility residual of the TOP most frequent contexts of DATA
under H (d × m of the whole data set, as `check --embedding file:H.npy` reads it), by numpy's lstsq on the
explicit log-odds system — what a user without ntpsep would write.

Usage: compat_numpy.py DATA.npz H.npy TOP
Prints: numpy lstsq: residual R, rows N, columns C, build B s, lstsq S s
"""
import sys
import time

import numpy as np

z = np.load(sys.argv[1])
H = np.load(sys.argv[2])
top = int(sys.argv[3])
t0 = time.perf_counter()
indptr, indices, counts = z["indptr"], z["indices"], z["data"]
V, d = int(z["shape"][1]), H.shape[0]
totals = np.add.reduceat(counts, indptr[:-1])
chosen = np.argsort(-totals, kind="stable")[:top]
tokens = np.unique(np.concatenate([indices[indptr[j]:indptr[j + 1]] for j in chosen]))
column = {v: i for i, v in enumerate(tokens)}
blocks, target = [], []
for j in chosen:
    support = indices[indptr[j]:indptr[j + 1]]
    n = counts[indptr[j]:indptr[j + 1]].astype(float)
    k = len(support)
    rows = np.zeros((k, len(tokens) * d))
    for b, v in enumerate(support):
        rows[:, column[v] * d:(column[v] + 1) * d] = np.outer((np.arange(k) == b) - 1.0 / k, H[:, j])
    blocks.append(rows)
    logp = np.log(n / n.sum())
    target.append(logp - logp.mean())
A, c = np.vstack(blocks), np.concatenate(target)
t1 = time.perf_counter()
w = np.linalg.lstsq(A, c, rcond=None)[0]
t2 = time.perf_counter()
print(f"numpy lstsq: residual {np.linalg.norm(A @ w - c) / np.linalg.norm(c):.15g}, rows {A.shape[0]}, "
      f"columns {A.shape[1]}, build {t1 - t0:.3f} s, lstsq {t2 - t1:.3f} s")
