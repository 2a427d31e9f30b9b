/* Runtime-dispatched kernels; see include/ckernels.h. */
#pragma clang fp contract(off)
/* 8-double vectors in the baseline variant are passed only between always-inline helpers. */
#pragma clang diagnostic ignored "-Wpsabi"
#include "ckernels.h"
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

typedef double v8d __attribute__((vector_size(64)));
typedef long long v8l __attribute__((vector_size(64)));

#if defined(__x86_64__)
#define SFX(n) n##_avx512
#define TGT __attribute__((target("avx512f,avx512dq,avx512vl,avx2,fma")))
#define CK_FMA 1
#define CK_AVX512 1
#include "kernels_impl.h"
#undef SFX
#undef TGT
#undef CK_FMA
#undef CK_AVX512

#define SFX(n) n##_avx2
#define TGT __attribute__((target("avx2,fma")))
#define CK_FMA 1
#include "kernels_impl.h"
#undef SFX
#undef TGT
#undef CK_FMA
#endif

#define SFX(n) n##_base
#define TGT
#define CK_FMA 0
#include "kernels_impl.h"
#undef SFX
#undef TGT
#undef CK_FMA

typedef struct {
    void (*exp)(double *, int64_t);
    double (*max)(const double *, int64_t);
    double (*ess)(const double *, double *, int64_t, double);
    void (*scale)(double *, int64_t, double);
    double (*dot)(const double *, const double *, int64_t);
    int64_t (*onehot_gd)(double *, double *, double *, int64_t, const int32_t *, const double *, int64_t, double,
                         double, int64_t, double *);
    void (*stats)(const double *, int64_t, int64_t, int64_t, int64_t, const int32_t *, const double *,
                  const int64_t *, const int32_t *, const double *, int64_t, int64_t, double *, double *,
                  double *, double *);
    void (*grad)(const double *, double *, int64_t, int64_t, int64_t, int64_t, const int32_t *, const double *,
                 const int64_t *, const int32_t *, const double *, const double *, const double *, int64_t,
                 int64_t, double *, double *);
    void (*colmax)(const double *, int64_t, int64_t, int64_t, double *);
    void (*ostats)(const double *, int64_t, int64_t, int64_t, int64_t, const int32_t *, const int64_t *,
                   const int32_t *, const double *, const double *, int64_t, int64_t, double *, double *, double *);
    void (*ograd)(const double *, double *, int64_t, int64_t, int64_t, int64_t, const int32_t *, const int64_t *,
                  const int32_t *, const double *, const double *, const double *, int64_t, int64_t, double *,
                  double *);
    void (*adam)(const double *, double *, double *, double *, int64_t, const double *);
} ck_table;

#define TABLE(s) { exp_impl_##s, max_impl_##s, ess_impl_##s, scale_impl_##s, dot_impl_##s, onehot_gd_impl_##s, \
                   sparse_stats_impl_##s, sparse_grad_impl_##s, \
                   colmax_impl_##s, onehot_stats_impl_##s, onehot_grad_impl_##s, adam_impl_##s }
static const ck_table tables[3] = {
    TABLE(base),
#if defined(__x86_64__)
    TABLE(avx2), TABLE(avx512),
#else
    TABLE(base), TABLE(base),
#endif
};

static int supported = 0, current = 0;

/* The variant is fixed at load time: the widest the CPU supports, or a narrower one named by
 * NTPSEP_CKERNELS=baseline|avx2|avx512 (to exercise the other variants on one machine). */
__attribute__((constructor)) static void ck_init(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        supported = 2;
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        supported = 1;
#endif
    current = supported;
    const char *want = getenv("NTPSEP_CKERNELS");
    if (want) {
        int w = strcmp(want, "baseline") == 0 ? 0 : strcmp(want, "avx2") == 0 ? 1 : 2;
        current = w < supported ? w : supported;
    }
}

static int clamp_isa(int isa) { return isa < 0 ? 0 : isa > supported ? supported : isa; }

int ck_isa(void) { return current; }
int ck_isa_supported(void) { return supported; }
void ck_exp_variant(int isa, double *x, int64_t n) { tables[clamp_isa(isa)].exp(x, n); }
double ck_exp_shifted_sum_variant(int isa, const double *x, double *out, int64_t n, double shift) {
    return tables[clamp_isa(isa)].ess(x, out, n, shift);
}
double ck_dot_variant(int isa, const double *x, const double *y, int64_t n) { return tables[clamp_isa(isa)].dot(x, y, n); }
void ck_adam_variant(int isa, const double *g, double *w, double *m, double *v, int64_t n, const double *c) {
    tables[clamp_isa(isa)].adam(g, w, m, v, n, c);
}
void ck_adam(const double *g, double *w, double *m, double *v, int64_t n, const double *c) {
    tables[current].adam(g, w, m, v, n, c);
}

void ck_exp(double *x, int64_t n) { tables[current].exp(x, n); }
double ck_max(const double *x, int64_t n) { return tables[current].max(x, n); }
double ck_exp_shifted_sum(const double *x, double *out, int64_t n, double shift) {
    return tables[current].ess(x, out, n, shift);
}
void ck_scale(double *x, int64_t n, double c) { tables[current].scale(x, n, c); }
double ck_dot(const double *x, const double *y, int64_t n) { return tables[current].dot(x, y, n); }
int64_t ck_onehot_gd(double *w, double *e, double *save, int64_t n, const int32_t *sup, const double *prob,
                     int64_t k, double pi, double eta, int64_t steps, double *term0) {
    return tables[current].onehot_gd(w, e, save, n, sup, prob, k, pi, eta, steps, term0);
}
void ck_sparse_stats(const double *w, int64_t v, int64_t d, int64_t m, int64_t r, const int32_t *idx,
                     const double *val, const int64_t *colPtr, const int32_t *colCtx, const double *colProb,
                     int64_t t0, int64_t t1, double *tile, double *mx, double *s, double *dot) {
    tables[current].stats(w, v, d, m, r, idx, val, colPtr, colCtx, colProb, t0, t1, tile, mx, s, dot);
}
void ck_sparse_grad(const double *w, double *g, int64_t v, int64_t d, int64_t m, int64_t r, const int32_t *idx,
                    const double *val, const int64_t *colPtr, const int32_t *colCtx, const double *scaledProb,
                    const double *mx, const double *coef, int64_t t0, int64_t t1, double *tile, double *tileG) {
    tables[current].grad(w, g, v, d, m, r, idx, val, colPtr, colCtx, scaledProb, mx, coef, t0, t1, tile, tileG);
}
void ck_colmax(const double *w, int64_t d, int64_t t0, int64_t t1, double *c) { tables[current].colmax(w, d, t0, t1, c); }
void ck_onehot_stats(const double *w, int64_t v, int64_t d, int64_t m, int64_t r, const int32_t *idx,
                     const int64_t *colPtr, const int32_t *colCtx, const double *colProb, const double *c,
                     int64_t t0, int64_t t1, double *tile, double *s, double *dot) {
    tables[current].ostats(w, v, d, m, r, idx, colPtr, colCtx, colProb, c, t0, t1, tile, s, dot);
}
void ck_onehot_grad(const double *w, double *g, int64_t v, int64_t d, int64_t m, int64_t r, const int32_t *idx,
                    const int64_t *colPtr, const int32_t *colCtx, const double *scaledProb, const double *c,
                    const double *kappa, int64_t t0, int64_t t1, double *tile, double *tileG) {
    tables[current].ograd(w, g, v, d, m, r, idx, colPtr, colCtx, scaledProb, c, kappa, t0, t1, tile, tileG);
}
