#!/usr/bin/env python3
"""NumPy baseline for one full-batch GD step of the NTP cross-entropy (dense features).

  core_step_numpy.py make-data DIR [--V 2000 --m 20000 --d 256 --seed 0]
      writes DIR/data.npz (scipy CSR counts m × V + 'contexts' m × 2) and DIR/H.npy (d × m,
      Fortran order, N(0, 1/d)); supports have Zipf-like sizes in 1..50 over Zipf-like tokens.
  core_step_numpy.py time DIR [--steps 5] [--check W2.npy --lr ETA]
      times CE + gradient + update the plain NumPy way (two matmuls, softmax over V × m), and
      with --check compares 2 GD steps from W = 0 with the Swift result.
  core_step_numpy.py dgemm [--n 2048] [--system-coretype K]   GFLOP/s of numpy's dgemm and the system libopenblas.
  core_step_numpy.py full-gemms [--V --d --m]   the step's two DGEMMs alone as full-size calls.
"""
import argparse, ctypes, glob, os, sys, time
import numpy as np
import scipy.sparse as sp


def make_data(d_out, V, m, d, seed):
    rng = np.random.default_rng(seed)
    # Support size k ~ Zipf(1.5) clipped to 1..50; tokens drawn with Zipf(1.1)-like weights.
    k = np.minimum(rng.zipf(1.5, size=m), 50)
    w = 1.0 / np.arange(1, V + 1) ** 1.1
    w /= w.sum()
    rows, cols, vals = [], [], []
    for j in range(m):
        S = np.sort(rng.choice(V, size=k[j], replace=False, p=w))
        rows.append(np.full(k[j], j)); cols.append(S); vals.append(rng.integers(1, 20, size=k[j]).astype(np.float64))
    M = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m, V))
    M.sort_indices()
    ctx = rng.integers(0, V, size=(m, 2)).astype(np.int32)
    np.savez(os.path.join(d_out, "data.npz"), indices=M.indices.astype(np.int32), indptr=M.indptr.astype(np.int32),
             format=np.array("csr"), shape=np.array(M.shape), data=M.data, contexts=ctx)
    H = np.asfortranarray(rng.standard_normal((d, m)) / np.sqrt(d))
    np.save(os.path.join(d_out, "H.npy"), H)
    print(f"data: V={V} m={m} d={d} stored pairs={M.nnz} mean support={M.nnz / m:.2f}")


def load(d_in):
    M = sp.load_npz(os.path.join(d_in, "data.npz")).tocsr()
    H = np.load(os.path.join(d_in, "H.npy"))
    n = M.sum()
    rowsum = np.asarray(M.sum(axis=1)).ravel()
    pi = rowsum / n
    P = sp.diags(1.0 / rowsum) @ M              # p̂, m × V
    Q = (sp.diags(pi) @ P).tocoo()               # π̂_j p̂_{j,z}
    return M, H, pi, P, Q


def ce_and_grad(W, H, pi, Q):
    Z = W @ H
    target = np.asarray((Z[Q.col, Q.row] * Q.data)).sum()   # Σ_j π̂_j Σ_z p̂ z
    mx = Z.max(axis=0)
    Z -= mx
    np.exp(Z, out=Z)
    s = Z.sum(axis=0)
    ce = float(pi @ (mx + np.log(s))) - target
    Z *= pi / s
    Z[Q.col, Q.row] -= Q.data                    # R = (softmax − p̂) diag(π̂)
    G = Z @ H.T                                  # V × d
    return ce, G


def time_steps(d_in, steps, check, lr):
    M, H, pi, P, Q = load(d_in)
    V, m, d = M.shape[1], M.shape[0], H.shape[0]
    W = np.zeros((V, d))
    ce_and_grad(W, H, pi, Q)                     # warm-up
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        ce, G = ce_and_grad(W, H, pi, Q)
        W -= 1e-3 * G
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    print(f"numpy: median {med:.6f} s/step, min {min(times):.6f} s ({steps} steps), "
          f"{4 * V * d * m / med / 1e9:.1f} GFLOP/s in the two GEMMs")
    if check:
        W = np.zeros((V, d))
        for _ in range(2):
            _, G = ce_and_grad(W, H, pi, Q)
            W -= lr * G
        Ws = np.load(check)
        err = np.abs(Ws - W).max() / np.abs(W).max()
        print(f"cross-check: max |W_swift − W_numpy| / max |W| after 2 GD steps = {err:.2e}")
        if err > 1e-10:
            sys.exit("cross-check FAILED")


def dgemm(n, system_coretype=None):
    a = np.random.default_rng(0).standard_normal((n, n)); b = a.copy(); c = np.empty((n, n))
    np.matmul(a, b, out=c)
    ts = []
    for _ in range(3):
        t0 = time.perf_counter(); np.matmul(a, b, out=c); ts.append(time.perf_counter() - t0)
    print(f"dgemm {n}^3 numpy ({numpy_core()}): {2 * n**3 / min(ts) / 1e9:.1f} GFLOP/s")
    if system_coretype:   # read by the system OpenBLAS when it loads, below (numpy's own has loaded already)
        os.environ["OPENBLAS_CORETYPE"] = system_coretype
    lib = ctypes.CDLL("libopenblas.so.0")
    lib.openblas_get_corename.restype = ctypes.c_char_p
    lib.openblas_set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", "2")))
    f = lib.cblas_dgemm
    dp = ctypes.POINTER(ctypes.c_double)
    args = lambda x: x.ctypes.data_as(dp)
    ts = []
    for _ in range(4):
        t0 = time.perf_counter()
        f(101, 111, 111, n, n, n, ctypes.c_double(1.0), args(a), n, args(b), n, ctypes.c_double(0.0), args(c), n)
        ts.append(time.perf_counter() - t0)
    print(f"dgemm {n}^3 system libopenblas ({lib.openblas_get_corename().decode()}, used by Swift): "
          f"{2 * n**3 / min(ts[1:]) / 1e9:.1f} GFLOP/s")


def full_gemms(V, d, m):
    """The two GEMMs of a dense step alone, as two full-size calls to the system OpenBLAS (the
    library ntpsep links), without any softmax: what the straightforward schedule costs."""
    lib = ctypes.CDLL("libopenblas.so.0")
    lib.openblas_set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", "2")))
    dp = ctypes.POINTER(ctypes.c_double)
    ptr = lambda x: x.ctypes.data_as(dp)
    rng = np.random.default_rng(0)
    W = rng.standard_normal((V, d)); H = np.asfortranarray(rng.standard_normal((d, m)))
    Z = np.empty((m, V)); G = np.empty((V, d))
    row_major, no_trans, trans = 101, 111, 112
    def both():
        # logits (m × V) = Hᵀ Wᵀ, gradient (V × d) = Zᵀ Hᵀ: the same two products as the step
        lib.cblas_dgemm(row_major, no_trans, trans, m, V, d, ctypes.c_double(1.0), ptr(H), d, ptr(W), d,
                        ctypes.c_double(0.0), ptr(Z), V)
        lib.cblas_dgemm(row_major, trans, no_trans, V, d, m, ctypes.c_double(1.0), ptr(Z), V, ptr(H), d,
                        ctypes.c_double(0.0), ptr(G), d)
    both()
    ts = []
    for _ in range(5):
        t0 = time.perf_counter(); both(); ts.append(time.perf_counter() - t0)
    print(f"full-size GEMMs V={V} d={d} m={m}: the two DGEMM calls alone (no softmax) take min {min(ts):.3f} s, "
          f"median {float(np.median(ts)):.3f} s ({4 * V * d * m / min(ts) / 1e9:.1f} GFLOP/s)")


def numpy_core():
    libs = glob.glob(os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "*openblas*"))
    try:
        f = ctypes.CDLL(libs[0]).scipy_openblas_get_corename64_
        f.restype = ctypes.c_char_p
        return f().decode()
    except Exception:
        return "unknown kernel"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["make-data", "time", "dgemm", "full-gemms"])
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--V", type=int, default=2000); ap.add_argument("--m", type=int, default=20000)
    ap.add_argument("--d", type=int, default=256); ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=5); ap.add_argument("--check"); ap.add_argument("--lr", type=float, default=1.0)
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--system-coretype", help="OPENBLAS_CORETYPE for the system OpenBLAS in dgemm mode (the kernel ntpsep runs)")
    a = ap.parse_args()
    if a.mode == "make-data": make_data(a.dir, a.V, a.m, a.d, a.seed)
    elif a.mode == "time": time_steps(a.dir, a.steps, a.check, a.lr)
    elif a.mode == "full-gemms": full_gemms(a.V, a.d, a.m)
    else: dgemm(a.n, a.system_coretype)
