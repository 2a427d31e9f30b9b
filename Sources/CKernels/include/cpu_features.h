#ifndef NTPSEP_CPU_FEATURES_H
#define NTPSEP_CPU_FEATURES_H
/* What the CPU and the operating system support, from CPUID and XGETBV, for choosing a BLAS
 * kernel before the BLAS library reads its own core type. An instruction set counts only when
 * the OS also saves its registers on a context switch (XCR0: XMM|YMM for AVX, plus opmask and
 * both ZMM halves for AVX-512); a CPU flag alone is not enough. All zero off x86-64. */
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char vendor[13];        /* "GenuineIntel", "AuthenticAMD", ... ("" off x86-64) */
    int32_t family, model;  /* display family and model (extended fields folded in) */
    uint8_t sse3, ssse3, sse4_2;
    uint8_t avx, fma, avx2;                          /* usable: CPU flag and OS YMM state */
    uint8_t avx512f, avx512bw, avx512vl, avx512dq, avx512cd, avx512bf16;  /* usable: CPU flag and OS ZMM state */
    uint8_t osYMM, osZMM;   /* XCR0 says the OS saves YMM / opmask+ZMM state */
} ck_cpu_features;

/* Fills *out from CPUID and XGETBV of the calling CPU. */
void ck_cpu_features_read(ck_cpu_features *out);

#ifdef __cplusplus
}
#endif
#endif
