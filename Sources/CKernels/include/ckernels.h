#ifndef NTPSEP_CKERNELS_H
#define NTPSEP_CKERNELS_H
/* Hot loops of the NTP loss in C, compiled three times (AVX-512, AVX2+FMA, baseline x86-64 /
 * any other architecture) and picked at run time by CPU feature, never by -march: the package
 * stays portable and every machine runs the widest variant it supports.
 *
 * Determinism: every kernel has a fixed operation order (fixed vector width of 8 doubles, fixed
 * accumulator layout, no FP contraction except explicit FMAs), so its results depend only on the
 * inputs and on the variant; the variant depends only on the CPU. Results can differ in the last
 * bits between variants (FMA vs separate multiply-add), i.e. between machines.
 *
 * Accuracy: exp is within 1 ulp of glibc's exp over [-708, 709] in every variant (measured on
 * 2M points; the tests allow 2); inputs below -708 give exactly 0, NaN stays NaN, inputs above
 * 709 are treated as 709. */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Variants: 0 baseline, 1 AVX2+FMA, 2 AVX-512 (F, DQ, VL). The one in use is chosen once at load
 * time: the widest the CPU supports, or a narrower one named by the environment variable
 * NTPSEP_CKERNELS=baseline|avx2|avx512. */
int ck_isa(void);
/* The widest variant this CPU supports. */
int ck_isa_supported(void);
/* Explicit-variant entry points for tests (isa clamped to what the CPU supports). */
void ck_exp_variant(int isa, double *x, int64_t n);
double ck_exp_shifted_sum_variant(int isa, const double *x, double *out, int64_t n, double shift);
double ck_dot_variant(int isa, const double *x, const double *y, int64_t n);
void ck_adam_variant(int isa, const double *g, double *w, double *m, double *v, int64_t n, const double *c);

/* x[i] <- exp(x[i]) for i < n. */
void ck_exp(double *x, int64_t n);
/* max of x[0..<n] (-inf for n = 0). */
double ck_max(const double *x, int64_t n);
/* out[i] <- exp(x[i] - shift); returns the sum (out may equal x). Each element gets exactly the
 * value ck_exp gives for x[i] - shift. */
double ck_exp_shifted_sum(const double *x, double *out, int64_t n, double shift);
/* x[i] <- x[i] * c. */
void ck_scale(double *x, int64_t n, double c);
/* sum_i x[i] y[i] (8-lane partial sums in a fixed order). */
double ck_dot(const double *x, const double *y, int64_t n);
/* One Adam step on n parameters, c = {beta1, beta2, epsilon, eta, 1 - beta1^t, 1 - beta2^t}:
 *   m = b1 m + (1 - b1) g,  v = b2 v + ((1 - b2) g) g,  w -= (eta (m / c4)) / (sqrt(v / c5) + eps),
 * in that order and without FMA, so every variant gives the bits of the scalar loop. */
void ck_adam(const double *g, double *w, double *m, double *v, int64_t n, const double *c);

/* One context of a one-hot (H = I) model through `steps` GD steps on its column w (n = V):
 *   term = pi (max + log s - sum_e prob[e] w[sup[e]]),  g = pi softmax(w) - pi p,  w <- w - eta g,
 * with the very operations NTPLoss + Optimizer perform (bit-identical W and terms). `e` is an
 * n-element scratch row; `save` holds k doubles. *term0 receives the CE term of the initial w
 * (steps = 0: just evaluates it). Returns -1, or the step index whose term was not finite (w is
 * then left at that step). */
int64_t ck_onehot_gd(double *w, double *e, double *save, int64_t n, const int32_t *sup, const double *prob,
                     int64_t k, double pi, double eta, int64_t steps, double *term0);

/* Positional one-hot / sparse features, token-major tiles of CK_TILE vocabulary rows.
 * W and G are V x d row-major; context j has r features idx[j r + p] (values val[j r + p], or 1
 * when val is NULL). colPtr/colCtx/colProb is the support transposed to token-major order (CSC of
 * p-hat). `tile` and `tileG` are 64-byte aligned scratch of d * CK_TILE doubles.
 *
 * ck_sparse_stats: over vocabulary rows [t0, t1) (t0 a multiple of CK_TILE), online softmax
 * statistics per context: mx[j] = max_t z_tj, s[j] = sum_t exp(z_tj - mx[j]),
 * dot[j] = sum_{t in S_j} p-hat_{jt} z_tj (the arrays are overwritten).
 * ck_sparse_grad: G[t, :] for t in [t0, t1): sum_j coef[j] exp(z_tj - mx[j]) h_j
 *  - sum_{t in S_j} scaledProb h_j, where scaledProb[e] = pi_j scale p-hat (aligned with colCtx).
 * Both results depend on the tile grid (fixed by t0) but not on who runs which range. */
enum { CK_TILE = 16 };
void ck_sparse_stats(const double *w, int64_t v, int64_t d, int64_t m, int64_t r,
                     const int32_t *idx, const double *val,
                     const int64_t *colPtr, const int32_t *colCtx, const double *colProb,
                     int64_t t0, int64_t t1, double *tile, double *mx, double *s, double *dot);
void ck_sparse_grad(const double *w, double *g, int64_t v, int64_t d, int64_t m, int64_t r,
                    const int32_t *idx, const double *val,
                    const int64_t *colPtr, const int32_t *colCtx, const double *scaledProb,
                    const double *mx, const double *coef,
                    int64_t t0, int64_t t1, double *tile, double *tileG);

/* Unit-valued sparse features (positional one-hot), products of column exponentials: with
 * c[f] >= max_t W[t, f] (ck_colmax, rows [t0, t1), c initialised by the caller) and
 * E[t, f] = exp(W[t, f] - c[f]) formed tile by tile,
 * ck_onehot_stats: s[j] = sum_{t in [t0, t1)} prod_p E[t, idx[j r + p]], dot[j] as above;
 * ck_onehot_grad: G[t, :] = sum_j kappa[j] prod_p E[t, f_p] h_j - sum_{t in S_j} scaledProb h_j.
 * The softmax of context j is prod_p E / s_j exactly as with the max shift, provided the shift
 * sum_p c[f_p] - max_t z_tj stays small enough that the sums keep their range (callers check s). */
void ck_colmax(const double *w, int64_t d, int64_t t0, int64_t t1, double *c);
void ck_onehot_stats(const double *w, int64_t v, int64_t d, int64_t m, int64_t r, const int32_t *idx,
                     const int64_t *colPtr, const int32_t *colCtx, const double *colProb, const double *c,
                     int64_t t0, int64_t t1, double *tile, double *s, double *dot);
void ck_onehot_grad(const double *w, double *g, int64_t v, int64_t d, int64_t m, int64_t r, const int32_t *idx,
                    const int64_t *colPtr, const int32_t *colCtx, const double *scaledProb, const double *c,
                    const double *kappa, int64_t t0, int64_t t1, double *tile, double *tileG);

#ifdef __cplusplus
}
#endif
#endif
