#!/usr/bin/env python3
"""scipy.sparse baseline for one full-batch GD step with sparse context features.

  core_step_scipy.py DIR --embedding onehot|positional-onehot [--steps 5] [--check W2.npy --lr ETA]

H is the d × m sparse feature matrix (one-hot: the identity, d = m; positional one-hot: column j
has 1 at p·V + token_p for the two context tokens, d = 2V). A step: logits (m × V) = Hᵀ Wᵀ
(sparse × dense), row softmax, R = diag(π̂)(softmax − P̂), gradient = (H R)ᵀ (sparse × dense),
W −= η G. Memory is dense m × V (the baseline cannot avoid it). --check compares 2 GD steps
from W = 0 with the Swift result.
"""
import argparse, os, sys, time
import numpy as np
import scipy.sparse as sp


def features(M, ctx, kind):
    m, V = M.shape
    if kind == "onehot":
        return sp.identity(m, format="csr")
    r = ctx.shape[1]
    rows = (np.arange(r)[None, :] * V + ctx).ravel()
    cols = np.repeat(np.arange(m), r)
    return sp.csr_matrix((np.ones(m * r), (rows, cols)), shape=(r * V, m))


def ce_and_grad(W, H, HT, pi, Q):
    Zt = np.asarray(HT @ W.T)                    # m × V logits
    target = float((Zt[Q.row, Q.col] * Q.data).sum())
    mx = Zt.max(axis=1)
    Zt -= mx[:, None]
    np.exp(Zt, out=Zt)
    s = Zt.sum(axis=1)
    ce = float(pi @ (mx + np.log(s))) - target
    Zt *= (pi / s)[:, None]
    Zt[Q.row, Q.col] -= Q.data
    G = np.asarray(H @ Zt).T                     # V × d
    return ce, G


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir"); ap.add_argument("--embedding", required=True, choices=["onehot", "positional-onehot"])
    ap.add_argument("--steps", type=int, default=5); ap.add_argument("--check"); ap.add_argument("--lr", type=float, default=1.0)
    a = ap.parse_args()
    z = np.load(os.path.join(a.dir, "data.npz"))
    M = sp.load_npz(os.path.join(a.dir, "data.npz")).tocsr()
    ctx = z["contexts"]
    n = M.sum(); rowsum = np.asarray(M.sum(axis=1)).ravel(); pi = rowsum / n
    Q = (sp.diags(pi / rowsum) @ M).tocoo()      # π̂_j p̂_{j,z}
    H = features(M, ctx, a.embedding).tocsr(); HT = H.T.tocsr()
    V, d = M.shape[1], H.shape[0]
    W = np.zeros((V, d))
    ce_and_grad(W, H, HT, pi, Q)
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        _, G = ce_and_grad(W, H, HT, pi, Q)
        W -= 1e-3 * G
        times.append(time.perf_counter() - t0)
    print(f"scipy {a.embedding}: median {np.median(times):.6f} s/step, min {min(times):.6f} s ({a.steps} steps)")
    if a.check:
        W = np.zeros((V, d))
        for _ in range(2):
            _, G = ce_and_grad(W, H, HT, pi, Q)
            W -= a.lr * G
        Ws = np.load(a.check)
        err = np.abs(Ws - W).max() / np.abs(W).max()
        print(f"cross-check {a.embedding}: max |W_swift − W_scipy| / max |W| after 2 GD steps = {err:.2e}")
        if err > 1e-10:
            sys.exit("cross-check FAILED")


if __name__ == "__main__":
    main()
