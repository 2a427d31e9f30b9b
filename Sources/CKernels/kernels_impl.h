/* Kernel bodies, included by ckernels.c once per instruction-set variant with
 *   SFX(name)  the variant's name suffix,  TGT  its target attribute,  CK_FMA  1 when FMA exists.
 * Vectors are 8 doubles in every variant (zmm, 2 ymm or 4 xmm), so the operation order (and with
 * it every rounding) is the same whatever the register width; only FMA vs mul+add differs. */

#define KI static inline __attribute__((always_inline)) TGT
#define KF static TGT

#if CK_FMA
#define FMA(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#else
#define FMA(a, b, c) ((a) * (b) + (c))
#endif

KI v8d SFX(ld)(const double *p) { v8d v; __builtin_memcpy(&v, p, sizeof v); return v; }
KI void SFX(st)(double *p, v8d v) { __builtin_memcpy(p, &v, sizeof v); }
KI v8d SFX(splat)(double a) { return (v8d){a, a, a, a, a, a, a, a}; }
KI v8d SFX(sel)(v8l m, v8d a, v8d b) { return (v8d)(((v8l)a & m) | ((v8l)b & ~m)); }
/* a > b ? a : b lane-wise (vmaxpd semantics: a NaN in a is ignored). */
KI v8d SFX(vmax)(v8d a, v8d b) { return SFX(sel)((v8l)(a > b), a, b); }
KI v8d SFX(vmin)(v8d a, v8d b) { return SFX(sel)((v8l)(a < b), a, b); }
KI double SFX(hsum)(v8d v) {
    v8d a = v + __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3);
    a = a + __builtin_shufflevector(a, a, 2, 3, 0, 1, 6, 7, 4, 5);
    a = a + __builtin_shufflevector(a, a, 1, 0, 3, 2, 5, 4, 7, 6);
    return a[0];
}
KI double SFX(hmax)(v8d v) {
    v8d a = SFX(vmax)(v, __builtin_shufflevector(v, v, 4, 5, 6, 7, 0, 1, 2, 3));
    a = SFX(vmax)(a, __builtin_shufflevector(a, a, 2, 3, 0, 1, 6, 7, 4, 5));
    a = SFX(vmax)(a, __builtin_shufflevector(a, a, 1, 0, 3, 2, 5, 4, 7, 6));
    return a[0];
}

/* exp: x = k ln2 + r (k by the 1.5 * 2^52 shifter, no float->int conversion), two-constant
 * reduction, degree-13 Taylor polynomial, 2^k built in the exponent bits. */
#if CK_AVX512
/* AVX-512: 16-entry table of 2^(i/16) held in two registers (vpermt2pd), |r| <= ln2/32, degree-7
 * polynomial, result T (1 + q) by one FMA, 2^floor(n/16) by vscalefpd. About 20 vector operations
 * instead of 30. */
KI v8d SFX(vexp)(v8d x0) {
    const __m512d lo = _mm512_set1_pd(-708.0), hi = _mm512_set1_pd(709.0);
    const __m512d tab0 = _mm512_setr_pd(0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0,
                                        0x1.2387a6e756238p+0, 0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0,
                                        0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0);
    const __m512d tab1 = _mm512_setr_pd(0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0,
                                        0x1.9c49182a3f090p+0, 0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0,
                                        0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0);
    __m512d xi = (__m512d)x0;
    /* max/min return their second operand when either is NaN: NaN flows through. */
    __m512d x = _mm512_min_pd(hi, _mm512_max_pd(lo, xi));
    const __m512d shifter = _mm512_set1_pd(0x1.8p52);
    __m512d t = _mm512_fmadd_pd(x, _mm512_set1_pd(0x1.71547652b82fep+4), shifter);  /* 16/ln2 */
    __m512d n = _mm512_sub_pd(t, shifter);
    __m512d r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0x1.62e42fefa39efp-5), x);
    r = _mm512_fnmadd_pd(n, _mm512_set1_pd(0x1.abc9e3b39803fp-60), r);
    __m512d r2 = _mm512_mul_pd(r, r);
    __m512d a = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 6.0), _mm512_set1_pd(0.5));
    __m512d b = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 120.0), _mm512_set1_pd(1.0 / 24.0));
    __m512d c = _mm512_fmadd_pd(r, _mm512_set1_pd(1.0 / 5040.0), _mm512_set1_pd(1.0 / 720.0));
    b = _mm512_fmadd_pd(r2, c, b);                  /* 1/24 + r/120 + r^2/720 + r^3/5040 */
    __m512d q = _mm512_fmadd_pd(r2, b, a);          /* 1/2 + r/6 + ... + r^5/5040 */
    q = _mm512_fmadd_pd(r2, q, r);                  /* e^r - 1 to degree 7: |r|^8/8! < 2^-58 */
    __m512d tj = _mm512_permutex2var_pd(tab0, _mm512_castpd_si512(t), tab1);
    __m512d res = _mm512_scalef_pd(_mm512_fmadd_pd(tj, q, tj), _mm512_mul_pd(n, _mm512_set1_pd(0.0625)));
    /* below -708: 0 (NaN is "not less than" and stays) */
    return (v8d)_mm512_maskz_mov_pd(_mm512_cmp_pd_mask(xi, lo, _CMP_NLT_UQ), res);
}
#else
KI v8d SFX(vexp)(v8d x0) {
    const v8d lo = SFX(splat)(-708.0), hi = SFX(splat)(709.0);
    v8d x = SFX(vmin)(SFX(vmax)(x0, lo), hi);
    const v8d shifter = SFX(splat)(0x1.8p52);
    v8d t = FMA(x, SFX(splat)(1.4426950408889634), shifter);
    v8d k = t - shifter;
#if CK_FMA
    v8d r = FMA(k, SFX(splat)(-0x1.62e42fefa39efp-1), x);
    r = FMA(k, SFX(splat)(-0x1.abc9e3b39803fp-56), r);
#else
    v8d r = (x - k * SFX(splat)(0.6931471803691238)) - k * SFX(splat)(1.9082149292705877e-10);
#endif
    /* q = e^r - 1 = r + r^2 P(r), P of degree 11 by Estrin's scheme; the result 2^k (1 + q) is
     * formed by one FMA, so only q's own (small) rounding errors add to the last one. */
    v8d r2 = r * r, r4 = r2 * r2, r8 = r4 * r4;
    v8d p0 = FMA(r, SFX(splat)(1.0 / 6.0), SFX(splat)(1.0 / 2.0));
    v8d p1 = FMA(r, SFX(splat)(1.0 / 120.0), SFX(splat)(1.0 / 24.0));
    v8d p2 = FMA(r, SFX(splat)(1.0 / 5040.0), SFX(splat)(1.0 / 720.0));
    v8d p3 = FMA(r, SFX(splat)(1.0 / 362880.0), SFX(splat)(1.0 / 40320.0));
    v8d p4 = FMA(r, SFX(splat)(1.0 / 39916800.0), SFX(splat)(1.0 / 3628800.0));
    v8d p5 = FMA(r, SFX(splat)(1.0 / 6227020800.0), SFX(splat)(1.0 / 479001600.0));
    v8d s0 = FMA(p1, r2, p0), s1 = FMA(p3, r2, p2), s2 = FMA(p5, r2, p4);
    v8d u0 = FMA(s1, r4, s0);
    v8d q = FMA(r2, FMA(s2, r8, u0), r);
    v8l bits = (v8l)t;
    v8d scale = (v8d)((bits + 1023) << 52);
    v8d res = FMA(q, scale, scale);
    res = SFX(sel)((v8l)(x0 < lo), SFX(splat)(0.0), res);
    return SFX(sel)((v8l)(x0 != x0), x0, res);
}
#endif

/* Loads n < 8 elements, the rest of the lanes set to `pad`. */
KI v8d SFX(ldpart)(const double *p, int64_t n, double pad) {
    double tmp[8];
    for (int i = 0; i < 8; i++) tmp[i] = i < n ? p[i] : pad;
    return SFX(ld)(tmp);
}
KI void SFX(stpart)(double *p, int64_t n, v8d v) {
    double tmp[8];
    SFX(st)(tmp, v);
    for (int i = 0; i < n; i++) p[i] = tmp[i];
}

KF void SFX(exp_impl)(double *x, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) SFX(st)(x + i, SFX(vexp)(SFX(ld)(x + i)));
    if (i < n) SFX(stpart)(x + i, n - i, SFX(vexp)(SFX(ldpart)(x + i, n - i, 0.0)));
}

KF double SFX(max_impl)(const double *x, int64_t n) {
    const v8d ninf = SFX(splat)(-__builtin_inf());
    v8d m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        m0 = SFX(vmax)(SFX(ld)(x + i), m0);
        m1 = SFX(vmax)(SFX(ld)(x + i + 8), m1);
        m2 = SFX(vmax)(SFX(ld)(x + i + 16), m2);
        m3 = SFX(vmax)(SFX(ld)(x + i + 24), m3);
    }
    for (; i + 8 <= n; i += 8) m0 = SFX(vmax)(SFX(ld)(x + i), m0);
    if (i < n) m1 = SFX(vmax)(SFX(ldpart)(x + i, n - i, -__builtin_inf()), m1);
    return SFX(hmax)(SFX(vmax)(SFX(vmax)(m0, m1), SFX(vmax)(m2, m3)));
}

KF double SFX(ess_impl)(const double *x, double *out, int64_t n, double shift) {
    const v8d sh = SFX(splat)(shift);
    v8d a0 = SFX(splat)(0.0), a1 = a0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v8d e0 = SFX(vexp)(SFX(ld)(x + i) - sh);
        v8d e1 = SFX(vexp)(SFX(ld)(x + i + 8) - sh);
        SFX(st)(out + i, e0);
        SFX(st)(out + i + 8, e1);
        a0 += e0;
        a1 += e1;
    }
    if (i + 8 <= n) {
        v8d e0 = SFX(vexp)(SFX(ld)(x + i) - sh);
        SFX(st)(out + i, e0);
        a0 += e0;
        i += 8;
    }
    if (i < n) {
        v8d e1 = SFX(vexp)(SFX(ldpart)(x + i, n - i, -__builtin_inf()) - sh);
        SFX(stpart)(out + i, n - i, e1);
        a1 += e1;
    }
    return SFX(hsum)(a0 + a1);
}

KF double SFX(dot_impl)(const double *x, const double *y, int64_t n) {
    v8d a0 = SFX(splat)(0.0), a1 = a0, a2 = a0, a3 = a0;
    int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = a0 + SFX(ld)(x + i) * SFX(ld)(y + i);
        a1 = a1 + SFX(ld)(x + i + 8) * SFX(ld)(y + i + 8);
        a2 = a2 + SFX(ld)(x + i + 16) * SFX(ld)(y + i + 16);
        a3 = a3 + SFX(ld)(x + i + 24) * SFX(ld)(y + i + 24);
    }
    for (; i + 8 <= n; i += 8) a0 = a0 + SFX(ld)(x + i) * SFX(ld)(y + i);
    if (i < n) a1 = a1 + SFX(ldpart)(x + i, n - i, 0.0) * SFX(ldpart)(y + i, n - i, 0.0);
    return SFX(hsum)((a0 + a1) + (a2 + a3));
}

KF void SFX(scale_impl)(double *x, int64_t n, double c) {
    const v8d vc = SFX(splat)(c);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) SFX(st)(x + i, SFX(ld)(x + i) * vc);
    for (; i < n; i++) x[i] = x[i] * c;
}

/* One Adam update, the operations of the scalar loop it replaces in their order and without FMA
 * (division and square root are correctly rounded in every width): bit-identical in every variant. */
KF void SFX(adam_impl)(const double *g, double *w, double *m, double *v, int64_t n, const double *c) {
    const double b1 = c[0], b2 = c[1], eps = c[2], eta = c[3], corr1 = c[4], corr2 = c[5];
    const v8d vb1 = SFX(splat)(b1), va1 = SFX(splat)(1 - b1), vb2 = SFX(splat)(b2), va2 = SFX(splat)(1 - b2);
    const v8d veps = SFX(splat)(eps), veta = SFX(splat)(eta), vc1 = SFX(splat)(corr1), vc2 = SFX(splat)(corr2);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const v8d gi = SFX(ld)(g + i);
        const v8d mi = vb1 * SFX(ld)(m + i) + va1 * gi;
        const v8d vi = vb2 * SFX(ld)(v + i) + va2 * gi * gi;
        SFX(st)(m + i, mi);
        SFX(st)(v + i, vi);
        SFX(st)(w + i, SFX(ld)(w + i) - veta * (mi / vc1) / (__builtin_elementwise_sqrt(vi / vc2) + veps));
    }
    for (; i < n; i++) {
        const double gi = g[i];
        m[i] = b1 * m[i] + (1 - b1) * gi;
        v[i] = b2 * v[i] + (1 - b2) * gi * gi;
        w[i] -= eta * (m[i] / corr1) / (__builtin_sqrt(v[i] / corr2) + eps);
    }
}

/* w[i] <- w[i] - eta * (e[i] * c); returns max of the new w. */
KI double SFX(gd_update_max)(double *w, const double *e, int64_t n, double c, double eta) {
    const v8d vc = SFX(splat)(c), ve = SFX(splat)(eta);
    v8d m0 = SFX(splat)(-__builtin_inf()), m1 = m0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v8d w0 = SFX(ld)(w + i) - ve * (SFX(ld)(e + i) * vc);
        v8d w1 = SFX(ld)(w + i + 8) - ve * (SFX(ld)(e + i + 8) * vc);
        SFX(st)(w + i, w0);
        SFX(st)(w + i + 8, w1);
        m0 = SFX(vmax)(w0, m0);
        m1 = SFX(vmax)(w1, m1);
    }
    double mx = SFX(hmax)(SFX(vmax)(m0, m1));
    for (; i < n; i++) {
        w[i] = w[i] - eta * (e[i] * c);
        mx = w[i] > mx ? w[i] : mx;
    }
    return mx;
}

KF int64_t SFX(onehot_gd_impl)(double *w, double *e, double *save, int64_t n, const int32_t *sup, const double *prob,
                               int64_t k, double pi, double eta, int64_t steps, double *term0) {
    double mx = SFX(max_impl)(w, n);
    for (int64_t step = 0;; step++) {
        double dot = 0;
        for (int64_t q = 0; q < k; q++) dot += prob[q] * w[sup[q]];
        double s = SFX(ess_impl)(w, e, n, mx);
        double term = pi * (mx + log(s) - dot);
        if (step == 0) *term0 = term;
        if (step == steps) return -1;
        if (!__builtin_isfinite(term)) return step;
        double c = pi / s;
        /* The support entries: g = e c - pi p, applied after the bulk update w - eta (e c), which
         * only ever lowers them, so the running max stays exact once they are patched. */
        for (int64_t q = 0; q < k; q++) save[q] = w[sup[q]];
        mx = SFX(gd_update_max)(w, e, n, c, eta);
        for (int64_t q = 0; q < k; q++) {
            int64_t z = sup[q];
            double g = e[z] * c - pi * prob[q];
            w[z] = save[q] - eta * g;
            mx = w[z] > mx ? w[z] : mx;
        }
    }
}

/* ---- sparse features, token-major tiles ---- */

KI void SFX(transpose8)(v8d *r) {
#define SH __builtin_shufflevector
    v8d t0 = SH(r[0], r[1], 0, 8, 2, 10, 4, 12, 6, 14), t1 = SH(r[0], r[1], 1, 9, 3, 11, 5, 13, 7, 15);
    v8d t2 = SH(r[2], r[3], 0, 8, 2, 10, 4, 12, 6, 14), t3 = SH(r[2], r[3], 1, 9, 3, 11, 5, 13, 7, 15);
    v8d t4 = SH(r[4], r[5], 0, 8, 2, 10, 4, 12, 6, 14), t5 = SH(r[4], r[5], 1, 9, 3, 11, 5, 13, 7, 15);
    v8d t6 = SH(r[6], r[7], 0, 8, 2, 10, 4, 12, 6, 14), t7 = SH(r[6], r[7], 1, 9, 3, 11, 5, 13, 7, 15);
    v8d u0 = SH(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13), u2 = SH(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15);
    v8d u1 = SH(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13), u3 = SH(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15);
    v8d u4 = SH(t4, t6, 0, 1, 8, 9, 4, 5, 12, 13), u6 = SH(t4, t6, 2, 3, 10, 11, 6, 7, 14, 15);
    v8d u5 = SH(t5, t7, 0, 1, 8, 9, 4, 5, 12, 13), u7 = SH(t5, t7, 2, 3, 10, 11, 6, 7, 14, 15);
    r[0] = SH(u0, u4, 0, 1, 2, 3, 8, 9, 10, 11); r[4] = SH(u0, u4, 4, 5, 6, 7, 12, 13, 14, 15);
    r[1] = SH(u1, u5, 0, 1, 2, 3, 8, 9, 10, 11); r[5] = SH(u1, u5, 4, 5, 6, 7, 12, 13, 14, 15);
    r[2] = SH(u2, u6, 0, 1, 2, 3, 8, 9, 10, 11); r[6] = SH(u2, u6, 4, 5, 6, 7, 12, 13, 14, 15);
    r[3] = SH(u3, u7, 0, 1, 2, 3, 8, 9, 10, 11); r[7] = SH(u3, u7, 4, 5, 6, 7, 12, 13, 14, 15);
#undef SH
}

/* tile[f * tw + i] = W[t0 + i][f] (tw = 8 or 16); rows past V repeat the last row (their lanes are
 * masked or never stored). */
KI void SFX(load_tile_w)(const double *w, int64_t v, int64_t d, int64_t t0, double *tile, int tw) {
    int64_t nt = v - t0 < tw ? v - t0 : tw;
    const double *rows[16];
    for (int i = 0; i < tw; i++) rows[i] = w + (t0 + (i < nt ? i : nt - 1)) * d;
    int64_t f = 0;
    for (; f + 8 <= d; f += 8) {
        for (int h = 0; h < tw / 8; h++) {
            v8d b[8];
            for (int q = 0; q < 8; q++) b[q] = SFX(ld)(rows[h * 8 + q] + f);
            SFX(transpose8)(b);
            for (int q = 0; q < 8; q++) SFX(st)(tile + (f + q) * tw + h * 8, b[q]);
        }
    }
    for (; f < d; f++)
        for (int i = 0; i < tw; i++) tile[f * tw + i] = rows[i][f];
}
KI void SFX(load_tile)(const double *w, int64_t v, int64_t d, int64_t t0, double *tile) {
    SFX(load_tile_w)(w, v, d, t0, tile, CK_TILE);
}

/* G[t0 + i][f] = tileG[f * tw + i] for the rows that exist. */
KI void SFX(store_tile_w)(double *g, int64_t v, int64_t d, int64_t t0, const double *tile, int tw) {
    int64_t nt = v - t0 < tw ? v - t0 : tw;
    int64_t f = 0;
    for (; f + 8 <= d; f += 8) {
        for (int h = 0; h < tw / 8; h++) {
            if (h * 8 >= nt) break;
            v8d b[8];
            for (int q = 0; q < 8; q++) b[q] = SFX(ld)(tile + (f + q) * tw + h * 8);
            SFX(transpose8)(b);
            for (int q = 0; q < 8 && h * 8 + q < nt; q++) SFX(st)(g + (t0 + h * 8 + q) * d + f, b[q]);
        }
    }
    for (; f < d; f++)
        for (int i = 0; i < nt; i++) g[(t0 + i) * d + f] = tile[f * tw + i];
}
KI void SFX(store_tile)(double *g, int64_t v, int64_t d, int64_t t0, const double *tile) {
    SFX(store_tile_w)(g, v, d, t0, tile, CK_TILE);
}

/* z (16 lanes) of context j from the tile. */
KI void SFX(tile_logits)(const double *tile, const int32_t *ix, const double *vx, int64_t r, v8d *z0, v8d *z1) {
    const double *p0 = tile + (int64_t)ix[0] * CK_TILE;
    v8d a = SFX(ld)(p0), b = SFX(ld)(p0 + 8);
    if (vx) { v8d c = SFX(splat)(vx[0]); a = a * c; b = b * c; }
    for (int64_t p = 1; p < r; p++) {
        const double *pp = tile + (int64_t)ix[p] * CK_TILE;
        if (vx) {
            v8d c = SFX(splat)(vx[p]);
            a = a + SFX(ld)(pp) * c;
            b = b + SFX(ld)(pp + 8) * c;
        } else {
            a = a + SFX(ld)(pp);
            b = b + SFX(ld)(pp + 8);
        }
    }
    *z0 = a; *z1 = b;
}

KI double SFX(tile_logit)(const double *tile, const int32_t *ix, const double *vx, int64_t r, int64_t lane) {
    double z = tile[(int64_t)ix[0] * CK_TILE + lane];
    if (vx) z = z * vx[0];
    for (int64_t p = 1; p < r; p++) {
        double u = tile[(int64_t)ix[p] * CK_TILE + lane];
        z = vx ? z + u * vx[p] : z + u;
    }
    return z;
}

KF void SFX(sparse_stats_impl)(const double *w, int64_t v, int64_t d, int64_t m, int64_t r,
                                const int32_t *idx, const double *val,
                                const int64_t *colPtr, const int32_t *colCtx, const double *colProb,
                                int64_t t0, int64_t t1, double *tile, double *mx, double *s, double *dot) {
    for (int64_t j = 0; j < m; j++) { mx[j] = -__builtin_inf(); s[j] = 0; dot[j] = 0; }
    const v8d lane = {0, 1, 2, 3, 4, 5, 6, 7};
    const v8d ninf = SFX(splat)(-__builtin_inf());
    for (int64_t tt = t0; tt < t1; tt += CK_TILE) {
        SFX(load_tile)(w, v, d, tt, tile);
        int64_t nt = v - tt < CK_TILE ? v - tt : CK_TILE;
        v8l keep0 = (v8l)(lane < SFX(splat)((double)nt)), keep1 = (v8l)(lane + SFX(splat)(8.0) < SFX(splat)((double)nt));
        for (int64_t j = 0; j < m; j++) {
            v8d z0, z1;
            SFX(tile_logits)(tile, idx + j * r, val ? val + j * r : 0, r, &z0, &z1);
            if (nt < CK_TILE) { z0 = SFX(sel)(keep0, z0, ninf); z1 = SFX(sel)(keep1, z1, ninf); }
            double tm = SFX(hmax)(SFX(vmax)(z0, z1));
            double cur = mx[j];
            if (tm > cur) {
                s[j] = s[j] * exp(cur - tm);
                cur = tm;
                mx[j] = tm;
            }
            v8d c = SFX(splat)(cur);
            s[j] += SFX(hsum)(SFX(vexp)(z0 - c) + SFX(vexp)(z1 - c));
        }
        for (int64_t t = tt; t < tt + nt; t++) {
            for (int64_t e = colPtr[t]; e < colPtr[t + 1]; e++) {
                int64_t j = colCtx[e];
                dot[j] += colProb[e] * SFX(tile_logit)(tile, idx + j * r, val ? val + j * r : 0, r, t - tt);
            }
        }
    }
}

KF void SFX(sparse_grad_impl)(const double *w, double *g, int64_t v, int64_t d, int64_t m, int64_t r,
                               const int32_t *idx, const double *val,
                               const int64_t *colPtr, const int32_t *colCtx, const double *scaledProb,
                               const double *mx, const double *coef,
                               int64_t t0, int64_t t1, double *tile, double *tileG) {
    for (int64_t tt = t0; tt < t1; tt += CK_TILE) {
        SFX(load_tile)(w, v, d, tt, tile);
        __builtin_memset(tileG, 0, (size_t)(d * CK_TILE) * sizeof(double));
        int64_t nt = v - tt < CK_TILE ? v - tt : CK_TILE;
        for (int64_t j = 0; j < m; j++) {
            const int32_t *ix = idx + j * r;
            const double *vx = val ? val + j * r : 0;
            v8d z0, z1;
            SFX(tile_logits)(tile, ix, vx, r, &z0, &z1);
            v8d c = SFX(splat)(mx[j]), k = SFX(splat)(coef[j]);
            v8d e0 = SFX(vexp)(z0 - c) * k, e1 = SFX(vexp)(z1 - c) * k;
            for (int64_t p = 0; p < r; p++) {
                double *gp = tileG + (int64_t)ix[p] * CK_TILE;
                if (vx) {
                    v8d a = SFX(splat)(vx[p]);
                    SFX(st)(gp, SFX(ld)(gp) + e0 * a);
                    SFX(st)(gp + 8, SFX(ld)(gp + 8) + e1 * a);
                } else {
                    SFX(st)(gp, SFX(ld)(gp) + e0);
                    SFX(st)(gp + 8, SFX(ld)(gp + 8) + e1);
                }
            }
        }
        for (int64_t t = tt; t < tt + nt; t++) {
            for (int64_t e = colPtr[t]; e < colPtr[t + 1]; e++) {
                int64_t j = colCtx[e];
                const int32_t *ix = idx + j * r;
                for (int64_t p = 0; p < r; p++) {
                    double q = val ? scaledProb[e] * val[j * r + p] : scaledProb[e];
                    tileG[(int64_t)ix[p] * CK_TILE + (t - tt)] -= q;
                }
            }
        }
        SFX(store_tile)(g, v, d, tt, tileG);
    }
}

/* ---- one-hot features (unit values): products of column exponentials ----
 * With E[t, f] = exp(W[t, f] - c[f]), c[f] = max_t W[t, f], context j's softmax numerators are
 * exp(z_tj - sum_p c[f_p]) = prod_p E[t, f_p]: one exp per entry of W instead of one per
 * (token, context) pair. The shift sum_p c[f_p] bounds the row max from above; callers check
 * that the sums did not lose range (see SparseTiles). */

/* c[f] <- max(c[f], W[t, f]) for rows [t0, t1). */
KF void SFX(colmax_impl)(const double *w, int64_t d, int64_t t0, int64_t t1, double *c) {
    for (int64_t t = t0; t < t1; t++) {
        const double *row = w + t * d;
        int64_t f = 0;
        for (; f + 8 <= d; f += 8) SFX(st)(c + f, SFX(vmax)(SFX(ld)(row + f), SFX(ld)(c + f)));
        for (; f < d; f++) c[f] = row[f] > c[f] ? row[f] : c[f];
    }
}

/* tile[f * tw + i] <- exp(tile[f * tw + i] - c[f]). */
KI void SFX(tile_exp)(double *tile, int64_t d, const double *c, int tw) {
    for (int64_t f = 0; f < d; f++) {
        v8d cf = SFX(splat)(c[f]);
        for (int h = 0; h < tw; h += 8) SFX(st)(tile + f * tw + h, SFX(vexp)(SFX(ld)(tile + f * tw + h) - cf));
    }
}

KI void SFX(tile_products)(const double *tile, const int32_t *ix, int64_t r, v8d *p0, v8d *p1) {
    const double *q = tile + (int64_t)ix[0] * CK_TILE;
    v8d a = SFX(ld)(q), b = SFX(ld)(q + 8);
    for (int64_t p = 1; p < r; p++) {
        q = tile + (int64_t)ix[p] * CK_TILE;
        a = a * SFX(ld)(q);
        b = b * SFX(ld)(q + 8);
    }
    *p0 = a; *p1 = b;
}

KF void SFX(onehot_stats_impl)(const double *w, int64_t v, int64_t d, int64_t m, int64_t r, const int32_t *idx,
                                const int64_t *colPtr, const int32_t *colCtx, const double *colProb,
                                const double *c, int64_t t0, int64_t t1, double *tile, double *s, double *dot) {
    for (int64_t j = 0; j < m; j++) { s[j] = 0; dot[j] = 0; }
    const v8d lane = {0, 1, 2, 3, 4, 5, 6, 7};
    const v8d zero = SFX(splat)(0.0);
    for (int64_t tt = t0; tt < t1; tt += CK_TILE) {
        SFX(load_tile)(w, v, d, tt, tile);
        int64_t nt = v - tt < CK_TILE ? v - tt : CK_TILE;
        for (int64_t t = tt; t < tt + nt; t++) {
            for (int64_t e = colPtr[t]; e < colPtr[t + 1]; e++) {
                int64_t j = colCtx[e];
                dot[j] += colProb[e] * SFX(tile_logit)(tile, idx + j * r, 0, r, t - tt);
            }
        }
        SFX(tile_exp)(tile, d, c, CK_TILE);
        v8l keep0 = (v8l)(lane < SFX(splat)((double)nt)), keep1 = (v8l)(lane + SFX(splat)(8.0) < SFX(splat)((double)nt));
        if (nt == CK_TILE && r == 2) {
            for (int64_t j = 0; j < m; j++) {
                const double *a = tile + (int64_t)idx[2 * j] * CK_TILE, *b = tile + (int64_t)idx[2 * j + 1] * CK_TILE;
                s[j] += SFX(hsum)(SFX(ld)(a) * SFX(ld)(b) + SFX(ld)(a + 8) * SFX(ld)(b + 8));
            }
        } else if (nt == CK_TILE) {
            for (int64_t j = 0; j < m; j++) {
                v8d p0, p1;
                SFX(tile_products)(tile, idx + j * r, r, &p0, &p1);
                s[j] += SFX(hsum)(p0 + p1);
            }
        } else {
            for (int64_t j = 0; j < m; j++) {
                v8d p0, p1;
                SFX(tile_products)(tile, idx + j * r, r, &p0, &p1);
                s[j] += SFX(hsum)(SFX(sel)(keep0, p0, zero) + SFX(sel)(keep1, p1, zero));
            }
        }
    }
}

/* Tiles of 8 rows here: E tile and gradient tile (2 x 4 KiB per 1000 features) stay in L2. */
KF void SFX(onehot_grad_impl)(const double *w, double *g, int64_t v, int64_t d, int64_t m, int64_t r,
                               const int32_t *idx, const int64_t *colPtr, const int32_t *colCtx,
                               const double *scaledProb, const double *c, const double *kappa,
                               int64_t t0, int64_t t1, double *tile, double *tileG) {
    for (int64_t tt = t0; tt < t1; tt += 8) {
        SFX(load_tile_w)(w, v, d, tt, tile, 8);
        SFX(tile_exp)(tile, d, c, 8);
        __builtin_memset(tileG, 0, (size_t)(d * 8) * sizeof(double));
        int64_t nt = v - tt < 8 ? v - tt : 8;
        if (r == 2) {   /* the common case (trigram contexts), without the inner loops */
            for (int64_t j = 0; j < m; j++) {
                int64_t a = (int64_t)idx[2 * j] * 8, b = (int64_t)idx[2 * j + 1] * 8;
                v8d p = (SFX(ld)(tile + a) * SFX(ld)(tile + b)) * SFX(splat)(kappa[j]);
                SFX(st)(tileG + a, SFX(ld)(tileG + a) + p);
                SFX(st)(tileG + b, SFX(ld)(tileG + b) + p);
            }
        } else {
            for (int64_t j = 0; j < m; j++) {
                const int32_t *ix = idx + j * r;
                v8d p = SFX(ld)(tile + (int64_t)ix[0] * 8);
                for (int64_t q = 1; q < r; q++) p = p * SFX(ld)(tile + (int64_t)ix[q] * 8);
                p = p * SFX(splat)(kappa[j]);
                for (int64_t q = 0; q < r; q++) {
                    double *gp = tileG + (int64_t)ix[q] * 8;
                    SFX(st)(gp, SFX(ld)(gp) + p);
                }
            }
        }
        for (int64_t t = tt; t < tt + nt; t++) {
            for (int64_t e = colPtr[t]; e < colPtr[t + 1]; e++) {
                const int32_t *ix = idx + (int64_t)colCtx[e] * r;
                for (int64_t q = 0; q < r; q++) tileG[(int64_t)ix[q] * 8 + (t - tt)] -= scaledProb[e];
            }
        }
        SFX(store_tile_w)(g, v, d, tt, tileG, 8);
    }
}

#undef KI
#undef KF
#undef FMA
