#!/usr/bin/env python3
"""numpy's reference for `check`'s compatibility residual on small data.

Usage: compat_lstsq.py DATA.npz H.npy TOP

Builds the log-odds system of the TOP most frequent contexts explicitly (one row per support entry
(j, v): Σ_{v' ∈ S_j} ([v' = v] − 1/k_j) h̄_jᵀ in the block of token v', against the centred log-probability)
and prints numpy's lstsq residual ‖A w − c‖/‖c‖, the rank it kept and A's condition over that rank.
"""
import sys

import numpy as np

z = np.load(sys.argv[1])
H = np.load(sys.argv[2])
top = int(sys.argv[3])
indptr, indices, counts = z["indptr"], z["indices"], z["data"]
V, d = int(z["shape"][1]), H.shape[0]
totals = np.add.reduceat(counts, indptr[:-1])
rows, c = [], []
for j in np.argsort(-totals, kind="stable")[:top]:
    support = indices[indptr[j]:indptr[j + 1]]
    n = counts[indptr[j]:indptr[j + 1]].astype(float)
    k = len(support)
    logp = np.log(n / n.sum())
    logp -= logp.mean()
    for a in range(k):
        row = np.zeros((V, d))
        for b in range(k):
            row[support[b]] += ((a == b) - 1.0 / k) * H[:, j]
        rows.append(row.ravel())
        c.append(logp[a])
A, c = np.array(rows), np.array(c)
w, _, rank, sv = np.linalg.lstsq(A, c, rcond=None)
print(f"numpy lstsq: residual {np.linalg.norm(A @ w - c) / np.linalg.norm(c):.3g}, "
      f"rank {rank} of {min(A.shape)}, condition {sv[0] / sv[rank - 1]:.2g}")
