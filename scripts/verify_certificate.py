#!/usr/bin/env python3
"""Check an ntpsep separability certificate (ntpsep check --certificate CERT.npz) with numpy alone.

usage: verify_certificate.py CERT.npz [DATA.npz]

Prints one line, VALID or INVALID with the measured numbers, and exits 0 (valid) or 1; a file of
an undecided verdict holds no certificate: UNDECIDED, exit code 3 (2: the file cannot be read).
With DATA.npz (the data set given to check) it also checks that `rows` are rows of it and that
the stored supports are theirs; for a sweep's null-model trial (member `supports_redrawn`) only the
rows and V, since its supports were redrawn. Members and tolerances: README.md, "Certificates anyone can check with numpy".

Separating W: logits L = W h̄_k per context k of `rows`, anchor a = smallest token of S_k.
  every margin  L_a − L_v ≥ 1 − τ·scale  (v ∉ S_k),   every tie  |L_z − L_a| ≤ τ·scale  (z ∈ S_k),
  scale = ‖W‖_F · √2 · max_k ‖h̄_k‖.
Farkas α, β: R = Σ α (e_in − e_out) h̄ᵀ + Σ β (e_in − e_anchor) h̄ᵀ must vanish:
  α ≥ 0, |Σα − 1| ≤ 1e-6, in/anchor ∈ S, out ∉ S, and
  ‖R‖_F ≤ τ · (Σ α ‖(e_in − e_out) h̄ᵀ‖_F + Σ |β| ‖(e_in − e_anchor) h̄ᵀ‖_F).
"""
import sys
import numpy as np


def counted(count, noun):
    """ "1 context", "2 contexts": a count and its noun in the right number (as ntpsep's `counted`)."""
    return f"{count} {noun if count == 1 else noun + 's'}"


def ragged(starts, counts):
    """Concatenation of arange(s, s + n) for each (s, n): the positions of CSR/CSC slices."""
    counts = np.asarray(counts, dtype=np.int64)
    return np.repeat(np.asarray(starts) - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())


def embedding(c):
    """H as CSC arrays (indptr, indices, data, d): column k is h̄ of context rows[k]."""
    if 'H' in c:
        H = c['H']
        d, n = H.shape
        return np.arange(0, d * n + 1, d), np.tile(np.arange(d), n), H.T.ravel(), d
    return c['H_indptr'], c['H_indices'], c['H_data'], int(c['H_shape'][0])


def logits(c, H, V, k0, k1):
    """The V × (k1 − k0) logits W h̄_k of contexts k0..k1−1."""
    Hp, Hi, Hx, d = H
    f, x = Hi[Hp[k0]:Hp[k1]], Hx[Hp[k0]:Hp[k1]]
    k = np.repeat(np.arange(k1 - k0), np.diff(Hp[k0:k1 + 1]))
    if 'W' in c:                                      # dense W: one matrix product
        Hb = np.zeros((d, k1 - k0))
        Hb[f, k] = x
        return c['W'] @ Hb
    Wp, Wi, Wx = c['W_indptr'], c['W_indices'], c['W_data']
    n = Wp[f + 1] - Wp[f]                             # sparse W (CSC): join on the feature f
    e = ragged(Wp[f], n)
    L = np.zeros((V, k1 - k0))
    np.add.at(L, (Wi[e], np.repeat(k, n)), Wx[e] * np.repeat(x, n))
    return L


def check_separating(c, H, S, V, tau):
    Sp, Si = S
    n = len(c['rows'])
    Hp, Hi, Hx, _ = H
    hnorm = np.sqrt(np.bincount(np.repeat(np.arange(n), np.diff(Hp)), Hx ** 2, minlength=n)).max()
    scale = np.linalg.norm(c['W'] if 'W' in c else c['W_data']) * np.sqrt(2) * hnorm
    margin, tie = np.inf, 0.0
    block = max(1, (1 << 22) // V)
    for k0 in range(0, n, block):
        k1 = min(n, k0 + block)
        L = logits(c, H, V, k0, k1)
        cols = np.arange(k1 - k0)
        inside = np.zeros(L.shape, bool)
        inside[Si[Sp[k0]:Sp[k1]], np.repeat(cols, np.diff(Sp[k0:k1 + 1]))] = True
        La = L[Si[Sp[k0:k1]], cols]                   # anchor logit: smallest support token
        margin = min(margin, np.where(inside, np.inf, La - L).min())
        tie = max(tie, np.where(inside, np.abs(L - La), 0).max())
    ok = margin >= 1 - tau * scale and tie <= tau * scale
    return ok, (f"separating W on {counted(n, 'context')}: min margin {margin:.12g} (need ≥ 1 − τ·scale = {1 - tau * scale:.12g}), "
                f"max tie {tie:.3g} (need ≤ τ·scale = {tau * scale:.3g}), scale ‖W‖·√2·max‖h̄‖ = {scale:.6g}")


def check_farkas(c, H, S, V, tau):
    Sp, Si = S
    Hp, Hi, Hx, d = H
    rows = c['rows']
    n = len(rows)
    support = np.repeat(np.arange(n), np.diff(Sp)) * V + Si     # (column, token) pairs as k·V + z
    def column(r):                                    # context index -> column of H
        k = np.minimum(np.searchsorted(rows, r), n - 1)
        return k, np.all(rows[k] == r)
    def inside(k, z):
        return np.isin(k * V + z, support)
    ka, found_a = column(c['alpha_row'])
    kb, found_b = column(c['beta_row'])
    a, b = c['alpha'], c['beta']
    ai, ao, bi, ba = c['alpha_in'], c['alpha_out'], c['beta_in'], c['beta_anchor']
    tokens = np.concatenate([ai, ao, bi, ba])
    problems = [what for what, bad in [
        ("α or β names a context not in rows", not (found_a and found_b)),
        ("token id out of range", tokens.size and (tokens.min() < 0 or tokens.max() >= V)),
        ("negative α", a.size and a.min() < 0),
        ("alpha_in ∉ S", not inside(ka, ai).all()), ("alpha_out ∈ S", inside(ka, ao).any()),
        ("beta_in or beta_anchor ∉ S", not (inside(kb, bi).all() and inside(kb, ba).all()))] if bad]
    if problems:
        return False, "Farkas: " + "; ".join(problems)
    # Each term w (e_p − e_q) h̄_kᵀ adds w·h̄_k to row p of R and subtracts it from row q.
    k, p, q, w = (np.concatenate(t) for t in [(ka, kb), (ai, bi), (ao, ba), (a, b)])
    cnt = np.diff(Hp)[k]
    e = ragged(Hp[k], cnt)
    f, x = Hi[e], Hx[e] * np.repeat(w, cnt)
    keys = np.concatenate([np.repeat(p, cnt) * d + f, np.repeat(q, cnt) * d + f])
    _, slot = np.unique(keys, return_inverse=True)
    R = np.bincount(slot.ravel(), np.concatenate([x, -x]))
    hnorm = np.sqrt(np.bincount(np.repeat(np.arange(n), np.diff(Hp)), Hx ** 2, minlength=n))
    size = np.sum(np.abs(w) * np.sqrt(2) * (p != q) * hnorm[k])
    residual = np.linalg.norm(R)
    rel = residual / size if size > 0 else np.inf
    ok = abs(a.sum() - 1) <= 1e-6 and rel <= tau
    return ok, (f"Farkas α on {counted(len(a), 'pair')}, β on {counted(len(b), 'tie')}, {counted(n, 'context')}: Σα = {a.sum():.12g}, "
                f"‖R‖_F = {residual:.3g}, relative residual {rel:.3g} (need ≤ τ = {tau:.3g})")


def check_data(c, S, V, path):
    """rows must be rows of DATA.npz, with the stored supports."""
    data = np.load(path)
    m, Vd = data['shape']
    ip, ix = data['indptr'], data['indices']
    rows, (Sp, Si) = c['rows'], S
    if Vd != V:
        return f"vocab_size {V} but {path} has V = {Vd}"
    if rows.size and (rows.min() < 0 or rows.max() >= m):
        return f"rows outside 0..{m - 1} of {path}"
    if 'supports_redrawn' in c:
        return None
    sizes = np.diff(ip)[rows]
    if not np.array_equal(sizes, np.diff(Sp)) or not np.array_equal(ix[ragged(ip[rows], sizes)], Si):
        return f"supports differ from those of {path}"
    return None


def main(argv):
    if len(argv) > 1 and argv[1] in ('-h', '--help'):
        print(__doc__.strip())
        return 0
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        c = dict(np.load(argv[1]))
    except (OSError, ValueError) as e:
        print(f"{argv[1]}: cannot read the certificate ({e}); give a CERT.npz written by `ntpsep check --certificate`",
              file=sys.stderr)
        return 2
    missing = [k for k in ('verdict', 'tolerance', 'vocab_size', 'format_version') if k not in c]
    if missing:
        print(f"INVALID not a certificate: no member {', '.join(missing)}")
        return 1
    verdict, tau, V = str(c['verdict']), float(c['tolerance']), int(c['vocab_size'])
    if int(c['format_version']) != 1:
        print(f"INVALID unknown format_version {int(c['format_version'])}")
        return 1
    if 'rows' not in c:
        bracket = f", γ* in [{c['gamma_lower']:.3g}, {c['gamma_upper']:.3g}]" if 'gamma_lower' in c else ""
        print(f"UNDECIDED no certificate: verdict {verdict}{bracket}")
        return 3
    S = c['support_indptr'], c['support_indices']
    if np.any(np.diff(S[0]) <= 0) or not np.all(np.diff(c['rows']) > 0):
        print("INVALID rows must be increasing, each with a non-empty support")
        return 1
    try:
        ok, line = (check_separating if verdict == 'separable' else check_farkas)(c, embedding(c), S, V, tau)
    except (KeyError, IndexError) as e:
        print(f"INVALID {verdict}: malformed certificate ({type(e).__name__}: {e})")
        return 1
    if ok and len(argv) == 3:
        problem = check_data(c, S, V, argv[2])
        if problem:
            ok, line = False, line + "; " + problem
        elif 'supports_redrawn' in c:
            line += f"; rows are rows of {argv[2]}, supports redrawn by {c['supports_redrawn']} (checked in the file)"
        else:
            line += f"; rows and supports match {argv[2]}"
    print(("VALID " if ok else "INVALID ") + f"{verdict}: " + line)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
