#define _GNU_SOURCE
#include "csupport.h"
#if defined(__linux__)
#include <sched.h>
#endif
#include <unistd.h>

int ntp_available_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void ntp_space_masks64(const uint8_t *p, uint64_t *space, uint64_t *newline) {
    uint64_t s = 0, nl = 0;
#if defined(__SSE2__)
    const __m128i blank = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t'), four = _mm_set1_epi8(4),
                  lf = _mm_set1_epi8('\n');
    for (int k = 0; k < 4; k++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        const __m128i t = _mm_sub_epi8(v, tab);                          /* \t..\r -> 0..4 */
        const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(t, four), t);    /* unsigned t <= 4 */
        const __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(v, blank), low);
        s |= (uint64_t)(uint16_t)_mm_movemask_epi8(ws) << (16 * k);
        nl |= (uint64_t)(uint16_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, lf)) << (16 * k);
    }
#else
    for (int i = 0; i < 64; i++) {
        const uint8_t c = p[i];
        if (c == ' ' || (c >= 0x09 && c <= 0x0D)) s |= (uint64_t)1 << i;
        if (c == '\n') nl |= (uint64_t)1 << i;
    }
#endif
    *space = s;
    *newline = nl;
}
