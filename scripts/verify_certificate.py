#!/usr/bin/env python3
"""Check an ntpsep separability certificate (ntpsep check --certificate CERT.npz) with numpy alone.

usage: verify_certificate.py CERT.npz [DATA.npz]

CERT.npz is also an entropy-gap certificate (ntpsep check --gap-certificate GAP.npz, verdict
entropy-gap-lower), see check_gap, or a compatibility certificate (ntpsep check --compat-certificate
COMPAT.npz, verdict compatible or not-compatible), see check_compatible and check_refutation.

A file's tolerance τ may not exceed ntpsep's (1e-9 for separability, 1e-6 for compatibility): a larger
one is INVALID, since it would let anything pass.

Prints one line, VALID or INVALID with the measured numbers, and exits 0 (valid) or 1; a file of
an undecided verdict holds no certificate: UNDECIDED, exit code 3 (2: the file cannot be read).
With DATA.npz (the data set given to check: any scipy.sparse.save_npz file ntpsep reads, csr, csc
or coo, compressed or not, read here with numpy alone) it also checks that `rows` are rows of it and that
the stored supports are theirs; for a sweep's null-model trial (member `supports_redrawn`) only the
rows and V, since its supports were redrawn. Members and tolerances: README.md, "Certificates anyone can check with numpy".

Separating W: logits L = W h̄_k per context k of `rows`, anchor a = smallest token of S_k.
  every margin  L_a − L_v ≥ 1 − τ·scale  (v ∉ S_k),   every tie  |L_z − L_a| ≤ τ·scale  (z ∈ S_k),
  scale = ‖W‖_F · √2 · max_k ‖h̄_k‖; every margin > 0, and every tie below the smallest margin.
Farkas α, β: R = Σ α (e_in − e_out) h̄ᵀ + Σ β (e_in − e_anchor) h̄ᵀ must vanish:
  α ≥ 0, |Σα − 1| ≤ 1e-6, in/anchor ∈ S, out ∉ S, and
  ‖R‖_F ≤ ρ · Σ α ‖(e_in − e_out) h̄ᵀ‖_F   (β terms can cancel exactly, so they set no unit)
  (R = 0 exactly is valid even when every term has size 0, h̄ = 0: relative residual 0, as in ntpsep),
  with ρ = exact_residual (ρ₀, round-off) for not-separable and ρ = τ for at-threshold: such a pair
  proves only that every separating W has ‖W‖_F ≥ 1/‖R‖_F.
γ*'s lower end (format_version 2, member gamma_lower_source): "W": min margin/‖W‖_F of the stored W
  ≥ gamma_lower·(1 − τ·scale); "one-hot": H = I and gamma_lower = 1/√(Σ_k k_k (V − k_k)/V) from the
  supports (to max(1e-12, 4 n ε) relative, n contexts); "none" (lower end 0, or nothing stored behind it) and version 1 files: not checked.
An at-threshold verdict may hold a separating W instead: checked as above; its 1/‖W‖_F is below
10τ·scale, so its ties (held to τ) are all that separates it from a tie that fails.
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
    """H as CSC arrays (indptr, indices, data, d): column k is h̄ of context rows[k]. A CSC H must be
    well formed (indptr from 0 to its entries, non-decreasing; every index a feature 0..d−1): an index
    past a shrunken d would otherwise fold features onto each other."""
    if 'H' in c:
        H = c['H']
        d, n = H.shape
        return np.arange(0, d * n + 1, d), np.tile(np.arange(d), n), H.T.ravel(), d
    Hp, Hi, Hx, d = c['H_indptr'], c['H_indices'], c['H_data'], int(c['H_shape'][0])
    if c['H_shape'].shape != (2,) or c['H_shape'][1] != Hp.size - 1 or (Hp.size == 0 or Hp[0] != 0 or Hp[-1] != Hi.size or Hi.size != Hx.size or np.any(np.diff(Hp) < 0)
            or (Hi.size and (Hi.min() < 0 or Hi.max() >= d))):
        raise ValueError(f"H_indptr, H_indices and H_shape do not describe a CSC matrix with d = {d} rows")
    return Hp, Hi, Hx, d


def logits(c, H, V, k0, k1, support):
    """Logits W h̄_k of contexts k0..k1−1 and the tokens they are for (None: all V, in order).

    Dense W: the V × (k1 − k0) matrix product. Sparse W (CSC): only the tokens W touches on these
    contexts' features, or that are in `support`, get a row (sorted); every other token has logit 0,
    so nothing V-sized is allocated."""
    Hp, Hi, Hx, d = H
    f, x = Hi[Hp[k0]:Hp[k1]], Hx[Hp[k0]:Hp[k1]]
    k = np.repeat(np.arange(k1 - k0), np.diff(Hp[k0:k1 + 1]))
    if 'W' in c:                                      # dense W: one matrix product
        Hb = np.zeros((d, k1 - k0))
        Hb[f, k] = x
        return c['W'] @ Hb, None
    Wp, Wi, Wx = c['W_indptr'], c['W_indices'], c['W_data']
    n = Wp[f + 1] - Wp[f]                             # sparse W (CSC): join on the feature f
    e = ragged(Wp[f], n)
    tokens, row = np.unique(np.concatenate([Wi[e], support]), return_inverse=True)
    L = np.zeros((len(tokens), k1 - k0))
    np.add.at(L, (row.ravel()[:len(e)], np.repeat(k, n)), Wx[e] * np.repeat(x, n))
    return L, tokens


def context_block(c, V, Si):
    """Contexts per block of `logits`, about 4 M logits: V per context for a dense W; for a sparse W at most
    the tokens W and the supports touch (a one-hot W on V = 2^31 − 1 needs a few numbers, not 16 GB)."""
    rows_per_context = V if 'W' in c else max(1, min(V, len(c['W_data']) + len(Si)))
    return max(1, (1 << 22) // rows_per_context)


def check_separating(c, H, S, V, tau):
    Sp, Si = S
    n = len(c['rows'])
    Hp, Hi, Hx, _ = H
    if Si.size and (Si.min() < 0 or Si.max() >= V):
        return False, f"support token out of range 0..{V - 1}"
    if 'W' not in c and c['W_indices'].size and (c['W_indices'].min() < 0 or c['W_indices'].max() >= V):
        return False, f"W_indices holds a token out of range 0..{V - 1}"
    hnorm = np.sqrt(np.bincount(np.repeat(np.arange(n), np.diff(Hp)), Hx ** 2, minlength=n)).max()
    wnorm = np.linalg.norm(c['W'] if 'W' in c else c['W_data'])
    scale = wnorm * np.sqrt(2) * hnorm
    margin, tie = np.inf, 0.0
    block = context_block(c, V, Si)
    for k0 in range(0, n, block):
        k1 = min(n, k0 + block)
        L, tokens = logits(c, H, V, k0, k1, Si[Sp[k0]:Sp[k1]])
        cols = np.arange(k1 - k0)
        z, a = Si[Sp[k0]:Sp[k1]], Si[Sp[k0:k1]]       # support tokens; anchors: smallest support token
        if tokens is not None:                        # rows of L are `tokens`; the rest have logit 0
            z, a = np.searchsorted(tokens, z), np.searchsorted(tokens, a)
        inside = np.zeros(L.shape, bool)
        inside[z, np.repeat(cols, np.diff(Sp[k0:k1 + 1]))] = True
        La = L[a, cols]
        margin = min(margin, np.where(inside, np.inf, La - L).min())
        if tokens is not None and len(tokens) < V:    # an untouched token v ∉ S_k: L_a − 0
            margin = min(margin, La.min())
        tie = max(tie, np.where(inside, np.abs(L - La), 0).max())
    # At the threshold τ·scale may exceed 1; a W must still give every margin > 0, and ties off by less
    # than its smallest margin (else the margins rest on the ties' slack), as in ntpsep.
    ok = margin >= 1 - tau * scale and margin > 0 and tie <= tau * scale and tie < margin
    need = f"≥ 1 − τ·scale = {1 - tau * scale:.12g}" if tau * scale < 1 else f"> 0, as 1 − τ·scale = {1 - tau * scale:.3g}"
    lower_ok, lower = check_lower_end(c, margin / wnorm if wnorm > 0 else np.inf, tau * scale, S, V, H)
    return ok and lower_ok, (f"separating W on {counted(n, 'context')}: min margin {margin:.12g} (need {need}), "
                f"max tie {tie:.3g} (need ≤ τ·scale = {tau * scale:.3g} and < the min margin), scale ‖W‖·√2·max‖h̄‖ = {scale:.6g}{lower}")


def check_lower_end(c, normalized, slack, S, V, H):
    """format_version 2: gamma_lower against what `gamma_lower_source` names. "W": the stored W's
    min margin/‖W‖_F must be at least gamma_lower·(1 − τ·scale), the round-off the margins are held to;
    "one-hot": H must be distinct unit columns (H = I) and gamma_lower = 1/√(Σ_k k_k (V − k_k)/V) from
    the supports, to the round-off of that sum (max(1e-12, 4 n ε) relative over n contexts: ntpsep sums
    in another order); "none" and version 1 files: nothing to check."""
    source = str(c['gamma_lower_source']) if 'gamma_lower_source' in c else 'none'
    if source == 'none' or 'gamma_lower' not in c:
        return True, ""
    lower, upper = float(c['gamma_lower']), float(c['gamma_upper'])
    if not lower <= upper:
        return False, f"; gamma_lower {lower:.12g} > gamma_upper {upper:.12g}"
    if source == 'W':
        ok = normalized >= lower * (1 - slack)
        return ok, (f"; min margin/‖W‖_F = {normalized:.12g} (need ≥ gamma_lower·(1 − τ·scale) = {lower * (1 - slack):.12g}), "
                    f"γ* ∈ [{lower:.12g}, {upper:.12g}]")
    if source == 'one-hot':
        Hp, Hi, Hx, d = H
        unit = np.all(np.diff(Hp) == 1) and np.all(Hx == 1) and np.unique(Hi).size == Hi.size
        k = np.diff(S[0]).astype(np.float64)
        gamma = 1 / np.sqrt(np.sum(k * (V - k) / V))
        rel = max(1e-12, 4 * k.size * np.finfo(float).eps)
        ok = bool(unit) and abs(gamma - lower) <= rel * gamma
        return ok, (f"; H = I: {bool(unit)}, γ* = 1/√(Σ k(V − k)/V) = {gamma:.12g} (gamma_lower {lower:.12g}, "
                    f"gamma_upper {upper:.12g}, need equal to {rel:.2g} relative)")
    return False, f"; unknown gamma_lower_source '{source}'"


def check_farkas(c, H, S, V, tau):
    if str(c['verdict']) == 'not-separable' and 'exact_residual' in c:
        limit, name = min(float(c['exact_residual']), tau), "ρ₀"
    else:
        limit, name = tau, "τ"
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
    size = np.sum(np.abs(a) * np.sqrt(2) * hnorm[ka])      # the α terms only: β terms can cancel exactly
    residual = np.linalg.norm(R)
    # As ntpsep's verifier: R = 0 exactly is valid even when every term has size 0 (h̄_j = 0).
    rel = residual / size if size > 0 else (0.0 if residual == 0 else np.inf)
    ok = abs(a.sum() - 1) <= 1e-6 and rel <= limit
    bound = f"; every separating W has ‖W‖_F ≥ {1 / residual:.3g}" if name == "τ" and residual > 0 else ""
    return ok, (f"Farkas α on {counted(len(a), 'pair')}, β on {counted(len(b), 'tie')}, {counted(n, 'context')}: Σα = {a.sum():.12g}, "
                f"‖R‖_F = {residual:.3g}, relative residual {rel:.3g} (need ≤ {name} = {limit:.3g}){bound}")


def centred_log_probabilities(c, S):
    """c: log p̂ of every support entry, centred within its context (equal counts give exactly 0, as in ntpsep)."""
    Sp, _ = S
    n = c['count_data'].astype(np.float64)
    if n.size != Sp[-1] or not np.all(np.isfinite(n) & (n > 0)):
        raise ValueError("count_data must hold one positive count per support entry")
    m, k = Sp.size - 1, np.diff(Sp)
    owner = np.repeat(np.arange(m), k)
    logp = np.log(n / np.bincount(owner, n, minlength=m)[owner])
    uniform = np.bincount(owner, n != n[Sp[:-1]][owner], minlength=m) == 0
    centred = logp - (np.bincount(owner, logp, minlength=m) / k)[owner]
    return np.where(uniform[owner], 0.0, centred), owner


def check_compatible(c, H, S, V, tau):
    """A W within the tolerance: the relative residual ‖P_U(W H) − c‖/‖c‖ of the logits of W on every support
    entry, centred within each context, against c, recomputed from the counts and H, must be ≤ τ."""
    Sp, Si = S
    if Si.size and (Si.min() < 0 or Si.max() >= V):
        return False, f"support token out of range 0..{V - 1}"
    target, owner = centred_log_probabilities(c, S)
    m = Sp.size - 1
    x = np.empty(Si.size)
    block = context_block(c, V, Si)
    for k0 in range(0, m, block):
        k1 = min(m, k0 + block)
        L, tokens = logits(c, H, V, k0, k1, Si[Sp[k0]:Sp[k1]])
        z = Si[Sp[k0]:Sp[k1]]
        x[Sp[k0]:Sp[k1]] = L[z if tokens is None else np.searchsorted(tokens, z), owner[Sp[k0]:Sp[k1]] - k0]
    x -= (np.bincount(owner, x, minlength=m) / np.diff(Sp))[owner]
    cnorm = np.linalg.norm(target)
    residual = np.linalg.norm(x - target) / cnorm if cnorm > 0 else np.linalg.norm(x)
    return residual <= tau, (f"W on {counted(m, 'context')}: relative residual ‖P_U(W H) − c‖/‖c‖ = {residual:.3g} "
                             f"(need ≤ τ = {tau:.3g}; ntpsep's {float(c['residual']):.3g})")


def check_refutation(c, H, S, V, tau):
    """Not compatible: for y (centred here within each context) and every W,
    ‖P_U(W H) − c‖ ≥ (yᵀc − ‖G‖_F ‖W‖_F)/‖y‖ with G = Σ_j y_j h̄_jᵀ, so every W with ‖W‖_F ≤ B (norm_radius)
    has relative residual ≥ L = (yᵀc − ‖G‖_F B)/(‖y‖ ‖c‖), recomputed here; valid when L > τ."""
    Sp, Si = S
    Hp, Hi, Hx, d = H
    if Si.size and (Si.min() < 0 or Si.max() >= V):
        return False, f"support token out of range 0..{V - 1}"
    target, owner = centred_log_probabilities(c, S)
    m = Sp.size - 1
    y = c['y'].astype(np.float64)
    if y.size != Si.size or Hp.size != m + 1:
        return False, "y, the supports and H do not cover the same entries"
    y = y - (np.bincount(owner, y, minlength=m) / np.diff(Sp))[owner]
    tokens, row = np.unique(Si, return_inverse=True)
    if 'H' in c:                                      # dense H: G = Y Hᵀ, block by block of contexts
        G = np.zeros((tokens.size, d))
        for k0 in range(0, m, 4096):
            k1 = min(m, k0 + 4096)
            Y = np.zeros((tokens.size, k1 - k0))
            Y[row[Sp[k0]:Sp[k1]], owner[Sp[k0]:Sp[k1]] - k0] = y[Sp[k0]:Sp[k1]]
            G += Y @ c['H'][:, k0:k1].T
        g = np.linalg.norm(G)
    else:                                             # sparse H: one term y_e·h per (entry, nonzero of its h̄)
        nnz = np.diff(Hp)[owner]
        e = ragged(Hp[owner], nnz)
        keys = np.repeat(row.ravel(), nnz) * d + Hi[e]
        _, slot = np.unique(keys, return_inverse=True)
        g = np.linalg.norm(np.bincount(slot.ravel(), np.repeat(y, nnz) * Hx[e]))
    s, ynorm, cnorm = y @ target, np.linalg.norm(y), np.linalg.norm(target)
    B = float(c['norm_radius'])
    if not (ynorm > 0 and cnorm > 0 and B >= 0):
        return False, "y or c is zero, or norm_radius is negative"
    if not np.isfinite(s) or not np.isfinite(g):
        return False, "y or H is not finite"
    lower = s / (ynorm * cnorm) if g == 0 else (s - g * B) / (ynorm * cnorm)
    stated = float(c['lower'])
    within = f"‖W‖_F ≤ {B:.3g}" if np.isfinite(B) else "any norm"
    # The recomputed L must exceed τ and back the L ntpsep states (to round-off: its ‖G‖ summed in another order).
    ok = lower > tau and lower >= stated * (1 - 1e-6)
    return ok, (f"every W with {within} has relative residual ≥ {lower:.6g} (need > τ = {tau:.3g} and ≥ the stated "
                         f"{stated:.6g}): yᵀc = {s:.6g}, ‖y‖ = {ynorm:.6g}, ‖c‖ = {cnorm:.6g}, "
                         f"‖Σ y_j h̄_jᵀ‖_F = {g:.3g}; the least-squares W of ntpsep has ‖W‖_F = {float(c['w_norm']):.6g}; "
                         f"{counted(m, 'context')}")


# The largest τ each verdict may state: ntpsep decides separability at 1e-9 and compatibility at 1e-6. An
# entropy-gap file's τ is reported, not used (its bound pays for the residual itself).
TOLERANCE_CAPS = {'separable': 1e-9, 'not-separable': 1e-9, 'at-threshold': 1e-9, 'undecided': 1e-9,
                  'compatible': 1e-6, 'not-compatible': 1e-6, 'compatibility-unknown': 1e-6}


class Unreadable(Exception):
    """A file that cannot be read (exit code 2); the message is one line."""


def check_gap(c, H, S, V, tau):
    """Entropy-gap lower end: q_j in the simplex (q ≥ 0, |Σ q_j − 1| ≤ max(1e-12, 4 V ε)), and for every W
    with ‖W‖_F ≤ B, CE(W) − 𝓗 ≥ Σ π̂_j H(q_j) − 𝓗 − B ‖r‖_F, r = Σ_j π̂_j (q_j − p̂_j) h̄_jᵀ (Fenchel–Young:
    logsumexp(ℓ) ≥ qᵀℓ + H(q)). Valid when that recomputed bound is at least the stated lower end, up to
    1e-12 relative. The bound pays for r itself, so ρ = ‖r‖_F / Σ π̂_j ‖h̄_j‖ is reported, not judged
    (ntpsep accepted q at ρ ≤ τ, summed in another order)."""
    Hp, Hi, Hx, d = H
    Sp, Si = S
    n = c['count_data'].astype(np.float64)
    Qp, Qi, Qx = c['q_indptr'], c['q_indices'], c['q_data']
    m = Sp.size - 1
    if Qp.size != m + 1 or Hp.size != m + 1 or n.size != Si.size:
        return False, "the counts, q and H do not cover the same contexts"
    if Qx.size and (Qx.min() < 0 or Qi.min() < 0 or Qi.max() >= V):
        return False, "q has a negative entry or a token outside the vocabulary"
    rows_of_q = np.repeat(np.arange(m), np.diff(Qp))
    sums = np.bincount(rows_of_q, weights=Qx, minlength=m)
    if np.max(np.abs(sums - 1)) > max(1e-12, 4 * V * np.finfo(float).eps):
        j = int(np.argmax(np.abs(sums - 1)))
        return False, f"q of context {j} (row {c['rows'][j]}) sums to {sums[j]!r}, not 1"
    totals = np.add.reduceat(n, Sp[:-1])
    pi = totals / totals.sum()
    p = n / np.repeat(totals, np.diff(Sp))
    def entropy(x, ptr):
        terms = np.where(x > 0, -x * np.log(np.where(x > 0, x, 1)), 0.0)
        return np.add.reduceat(np.append(terms, 0.0), ptr[:-1])[:m] * (np.diff(ptr) > 0)
    H_p, H_q = pi @ entropy(p, Sp), pi @ entropy(Qx, Qp)
    R = np.zeros((V, d))
    norms = np.zeros(m)
    for j in range(m):
        f, x = Hi[Hp[j]:Hp[j + 1]], Hx[Hp[j]:Hp[j + 1]]
        norms[j] = np.sqrt(x @ x)
        diff = np.zeros(V)
        diff[Qi[Qp[j]:Qp[j + 1]]] += Qx[Qp[j]:Qp[j + 1]]
        diff[Si[Sp[j]:Sp[j + 1]]] -= p[Sp[j]:Sp[j + 1]]
        nz = np.flatnonzero(diff)
        R[np.ix_(nz, f)] += pi[j] * np.outer(diff[nz], x)
    r = float(np.sqrt((R * R).sum()))
    scale = float(pi @ norms)
    rho = r / scale if scale > 0 else 0.0
    B, stated = float(c['norm_radius']), float(c['lower'])
    bound = H_q - H_p - B * r
    ok = bound >= stated - 1e-12 * (1 + abs(H_q))
    return ok, (f"CE(W) − 𝓗 ≥ {bound:.12g} for every W with ‖W‖_F ≤ {B:.6g} (stated lower end {stated:.12g}; "
                f"Σ π̂ H(q) − 𝓗 = {H_q - H_p:.12g}, ‖r‖_F = {r:.3g}, relative residual {rho:.3g} (ntpsep's τ = {tau:.3g}); "
                f"{counted(m, 'context')}, V = {V})")


def one_line(e):
    return " ".join(str(e).split()) or type(e).__name__


def read_data(path):
    """DATA.npz as ntpsep reads it: shape (m, V) and CSR (indptr, indices) with sorted columns.

    Any scipy.sparse.save_npz file, compressed or not, in csr, csc or coo (`row`/`col` or `coords`),
    with numpy alone. As ntpsep, a (row, column) pair stored twice and a count that is not positive,
    finite and below 2^53 (explicit zeros included) are refused: such a file is not a data set ntpsep
    checks, so no certificate is of it."""
    try:
        z = np.load(path)
        if not hasattr(z, 'files'):
            raise Unreadable("not an .npz archive")
        members = {k: z[k] for k in z.files}
    except Unreadable:
        raise
    except Exception as e:
        raise Unreadable(one_line(e))
    def need(name):
        if name not in members:
            raise Unreadable(f"no member '{name}': not a scipy.sparse.save_npz data set")
        return members[name]
    def ints(name, a=None):
        a = need(name) if a is None else a
        if a.dtype.kind not in 'iu':
            raise Unreadable(f"'{name}' holds {a.dtype}, expected integers")
        return a.astype(np.int64).ravel()
    fmt = need('format')
    fmt = fmt.item().decode() if fmt.dtype.kind == 'S' else str(fmt.item()) if fmt.size == 1 else ''
    shape = ints('shape')
    if shape.size != 2 or shape.min() < 0:
        raise Unreadable(f"'shape' must hold two non-negative numbers, found {shape.tolist()}")
    m, V = int(shape[0]), int(shape[1])
    if fmt in ('bsr', 'dia'):
        raise Unreadable(f"sparse format '{fmt}' is not supported (nor by ntpsep); convert with .tocsr() before save_npz")
    if fmt not in ('csr', 'csc', 'coo'):
        raise Unreadable(f"unknown sparse format '{fmt}' (expected csr, csc or coo)")
    x = need('data')
    if x.dtype.kind not in 'biuf':
        raise Unreadable(f"'data' holds {x.dtype}, expected counts")
    x = x.astype(np.float64).ravel()
    if x.size == 0:
        raise Unreadable("holds no counts ('data' is empty)")
    bad = np.flatnonzero(~((x > 0) & (x < 2.0 ** 53)))
    if bad.size:
        raise Unreadable(f"'data'[{bad[0]}] = {x[bad[0]]} is not a count (positive, finite, below 2^53); ntpsep refuses it too")
    if fmt in ('csr', 'csc'):
        ip, ix = ints('indptr'), ints('indices')
        major, minor = (m, V) if fmt == 'csr' else (V, m)
        if ip.size != major + 1 or ix.size != x.size or ip[0] != 0 or ip[-1] != ix.size or np.any(np.diff(ip) < 0):
            raise Unreadable(f"'indptr' ({ip.size} entries) and 'indices' ({ix.size}) are not a {fmt} matrix of shape ({m}, {V}) "
                             f"with {x.size} entries")
        if ix.size and (ix.min() < 0 or ix.max() >= minor):
            raise Unreadable(f"'indices' holds an index outside 0..{minor - 1}")
        if fmt == 'csr':                              # canonical (scipy's usual output): as stored
            starts = np.zeros(ix.size, bool)
            starts[ip[:-1][ip[:-1] < ix.size]] = True
            if np.all(np.diff(ix)[~starts[1:]] > 0):
                return m, V, ip, ix, x
        major_of = np.searchsorted(ip, np.arange(ix.size), side='right') - 1   # nnz-sized, not V-sized
        r, col = (major_of, ix) if fmt == 'csr' else (ix, major_of)
    else:                                             # coo
        if 'row' in members or 'coords' not in members:
            r, col = ints('row'), ints('col')
        else:
            xy = need('coords')
            if xy.ndim != 2 or xy.shape[0] != 2:
                raise Unreadable(f"'coords' must have shape (2, nnz), found {xy.shape}")
            r, col = ints('coords', xy[0]), ints('coords', xy[1])
        if r.size != x.size or col.size != x.size:
            raise Unreadable(f"coo arrays disagree: {r.size} rows, {col.size} columns, {x.size} values")
        if r.size and (r.min() < 0 or r.max() >= m or col.min() < 0 or col.max() >= V):
            raise Unreadable(f"a coo entry lies outside shape ({m}, {V})")
    order = np.lexsort((col, r))                      # to CSR with sorted columns, as ntpsep
    r, col, x = r[order], col[order], x[order]
    twice = np.flatnonzero((r[1:] == r[:-1]) & (col[1:] == col[:-1]))
    if twice.size:
        raise Unreadable(f"row {r[twice[0]]}, column {col[twice[0]]} is stored twice; ntpsep refuses it too "
                         "(call .sum_duplicates() before save_npz)")
    return m, V, np.searchsorted(r, np.arange(m + 1)), col, x


def check_data(c, S, V, data, path):
    """rows must be rows of DATA.npz, with the stored supports."""
    m, Vd, ip, ix, x = data
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
    if 'count_data' in c and not np.array_equal(x[ragged(ip[rows], sizes)], c['count_data']):
        return f"counts differ from those of {path}"
    return None


def main(argv):
    """Exit code 0 VALID, 1 INVALID, 3 UNDECIDED, 2 a file cannot be read (one line on stderr, never a traceback)."""
    try:
        return verify(argv)
    except MemoryError as e:
        print(f"cannot check {' '.join(argv[1:])}: not enough memory ({one_line(e)})", file=sys.stderr)
    except Exception as e:                            # a file this script does not understand: one line, no traceback
        print(f"cannot check {' '.join(argv[1:])}: {type(e).__name__}: {one_line(e)}", file=sys.stderr)
    return 2


def verify(argv):
    if len(argv) > 1 and argv[1] in ('-h', '--help'):
        print(__doc__.strip())
        return 0
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        z = np.load(argv[1])
        if not hasattr(z, 'files'):
            raise ValueError("a single .npy array, not an .npz archive")
        c = {k: z[k] for k in z.files}
    except Exception as e:                            # OSError, ValueError, zipfile.BadZipFile, zlib.error, EOFError, …
        print(f"{argv[1]}: cannot read the certificate ({one_line(e)}); give a file written by `ntpsep check` (--certificate, --gap-certificate or --compat-certificate)",
              file=sys.stderr)
        return 2
    missing = [k for k in ('verdict', 'tolerance', 'vocab_size', 'format_version') if k not in c]
    if missing:
        print(f"INVALID not a certificate: no member {', '.join(missing)}")
        return 1
    try:
        verdict, tau, V, version = str(c['verdict']), float(c['tolerance']), int(c['vocab_size']), int(c['format_version'])
    except (TypeError, ValueError) as e:
        print(f"INVALID not a certificate: verdict, tolerance, vocab_size or format_version is not a single value ({one_line(e)})")
        return 1
    compat = verdict in ('compatible', 'not-compatible', 'compatibility-unknown')
    if version not in ((1,) if verdict == 'entropy-gap-lower' or compat else (1, 2)):
        print(f"INVALID unknown format_version {version}")
        return 1
    # The file states τ, but a verdict is only as strict as ntpsep's own: a larger one would let anything pass.
    cap = TOLERANCE_CAPS.get(verdict)
    if cap is not None and not 0 < tau <= cap:
        print(f"INVALID {verdict}: tolerance {tau!r} is not in (0, {cap!r}], the tolerance ntpsep decides {verdict} at")
        return 1
    if 'rows' not in c or verdict == 'compatibility-unknown':
        bracket = f", γ* in [{c['gamma_lower']:.3g}, {c['gamma_upper']:.3g}]" if 'gamma_lower' in c else ""
        bracket += f", relative residual {float(c['residual']):.3g}" if 'residual' in c else ""
        print(f"UNDECIDED no certificate: verdict {verdict}{bracket}")
        return 3
    data = None
    if len(argv) == 3:
        try:
            data = read_data(argv[2])
        except Unreadable as e:
            print(f"{argv[2]}: cannot read the data set ({e}); give the DATA.npz given to `ntpsep check`", file=sys.stderr)
            return 2
    try:
        S = c['support_indptr'], c['support_indices']
        if np.any(np.diff(S[0]) <= 0) or not np.all(np.diff(c['rows']) > 0):
            print("INVALID rows must be increasing, each with a non-empty support")
            return 1
        with_w = verdict == 'separable' or (verdict == 'at-threshold' and ('W' in c or 'W_data' in c))
        checker = (check_gap if verdict == 'entropy-gap-lower' else check_compatible if verdict == 'compatible'
                   else check_refutation if verdict == 'not-compatible' else check_separating if with_w else check_farkas)
        with np.errstate(all='ignore'):               # a non-finite member fails the check, without warnings
            ok, line = checker(c, embedding(c), S, V, tau)
        if ok and with_w and verdict == 'at-threshold':
            w = np.linalg.norm(c['W'] if 'W' in c else c['W_data'])   # the file's W has min margin 1
            line += f"; 1/‖W‖_F = {1 / w:.3g}, within 10τ·scale of 0: separable as far as ties hold to τ"
        problem = check_data(c, S, V, data, argv[2]) if ok and data is not None else None
    except (KeyError, IndexError, ValueError, TypeError) as e:
        print(f"INVALID {verdict}: malformed certificate ({type(e).__name__}: {one_line(e)})")
        return 1
    if problem:
        ok, line = False, line + "; " + problem
    elif ok and data is not None:
        if 'supports_redrawn' in c:
            line += f"; rows are rows of {argv[2]}, supports redrawn by {c['supports_redrawn']} (checked in the file)"
        else:
            line += f"; rows and supports match {argv[2]}"
    print(("VALID " if ok else "INVALID ") + f"{verdict}: " + line)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
