/* CPUID + XGETBV feature probe (see cpu_features.h). */
#include "cpu_features.h"
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

static uint64_t read_xcr0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

void ck_cpu_features_read(ck_cpu_features *out) {
    memset(out, 0, sizeof *out);
    uint32_t a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    uint32_t maxLeaf = a;
    memcpy(out->vendor, &b, 4); memcpy(out->vendor + 4, &d, 4); memcpy(out->vendor + 8, &c, 4);
    out->vendor[12] = 0;

    __cpuid(1, a, b, c, d);
    uint32_t baseFamily = (a >> 8) & 0xf, baseModel = (a >> 4) & 0xf;
    out->family = (int32_t)(baseFamily == 0xf ? baseFamily + ((a >> 20) & 0xff) : baseFamily);
    out->model = (int32_t)((baseFamily == 0x6 || baseFamily == 0xf) ? (((a >> 16) & 0xf) << 4) + baseModel : baseModel);
    out->sse3 = (c >> 0) & 1;
    out->ssse3 = (c >> 9) & 1;
    out->sse4_2 = (c >> 20) & 1;
    int cpuFMA = (c >> 12) & 1, cpuAVX = (c >> 28) & 1, osxsave = (c >> 27) & 1;

    /* XCR0 bits: 1 SSE, 2 AVX (YMM upper halves), 5 opmask, 6 ZMM0-15 upper halves, 7 ZMM16-31. */
    uint64_t xcr0 = osxsave ? read_xcr0() : 0;
    out->osYMM = (xcr0 & 0x6) == 0x6;
    out->osZMM = out->osYMM && (xcr0 & 0xe0) == 0xe0;
    out->avx = cpuAVX && out->osYMM;
    out->fma = cpuFMA && out->osYMM;

    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        out->avx2 = ((b >> 5) & 1) && out->osYMM;
        out->avx512f = ((b >> 16) & 1) && out->osZMM;
        out->avx512dq = ((b >> 17) & 1) && out->osZMM;
        out->avx512cd = ((b >> 28) & 1) && out->osZMM;
        out->avx512bw = ((b >> 30) & 1) && out->osZMM;
        out->avx512vl = ((b >> 31) & 1) && out->osZMM;
        if (a >= 1) {   /* subleaf 1 exists */
            __cpuid_count(7, 1, a, b, c, d);
            out->avx512bf16 = ((a >> 5) & 1) && out->osZMM;
        }
    }
}
#else
void ck_cpu_features_read(ck_cpu_features *out) { memset(out, 0, sizeof *out); }
#endif
