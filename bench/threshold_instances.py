#!/usr/bin/env python3
"""Seeded random-support instances near the separability threshold (issue 8's decision benchmark).

Each instance: m contexts, V tokens, support sizes k_j = 1 + G with G ~ Geometric(p) on {0, 1, ...}
(numpy's geometric minus one; mean 1 + (1 - p)/p), supports uniform k_j-subsets of the vocabulary,
counts uniform in 1..9, and a Gaussian H (d x m, N(0, 1/d)) of the instance's own seed.
Writes DIR/NAME.npz (scipy CSR, what `ntpsep ingest` writes) and DIR/NAME-H.npy, one line per instance
on stdout: name m V d seed.

usage: threshold_instances.py OUTDIR [--m 100,400] [--V 200] [--p 0.35] [--ratios 0.04,...] [--seed 0]
"""
import argparse, os
import numpy as np
import scipy.sparse as sp


def instance(m, V, p, d, seed):
    rng = np.random.default_rng(seed)
    k = np.minimum(rng.geometric(p, size=m), V)  # geometric >= 1, so k = 1 + Geometric_{0,1,...}(p)
    rows, cols, vals = [], [], []
    for j in range(m):
        s = np.sort(rng.choice(V, size=k[j], replace=False))
        rows += [j] * len(s); cols += list(s); vals += list(rng.integers(1, 10, size=len(s)))
    M = sp.csr_matrix((np.array(vals, dtype=np.int64), (rows, cols)), shape=(m, V))
    M.sort_indices()
    H = rng.standard_normal((d, m)) / np.sqrt(d)
    return M, H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--m", default="100,400")
    ap.add_argument("--V", type=int, default=200)
    ap.add_argument("--p", type=float, default=0.35)
    ap.add_argument("--ratios", default="0.04,0.06,0.08,0.1,0.12,0.15,0.2,0.3,0.5,1.0")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    seed = a.seed
    for m in map(int, a.m.split(",")):
        for ratio in map(float, a.ratios.split(",")):
            d = max(1, round(ratio * m))
            name = f"m{m}-d{d}-s{seed}"
            M, H = instance(m, a.V, a.p, d, seed)
            sp.save_npz(os.path.join(a.outdir, name + ".npz"), M, compressed=False)
            np.save(os.path.join(a.outdir, name + "-H.npy"), H)
            print(name, m, a.V, d, seed)
            seed += 1


if __name__ == "__main__":
    main()
