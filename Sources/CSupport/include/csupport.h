#ifndef NTPSEP_CSUPPORT_H
#define NTPSEP_CSUPPORT_H
/* Small C helpers Swift has no spelling for. */

/* Starts loading the cache line at p (no fault if p is invalid). */
static inline void ntp_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

/* Serve large blocks from the heap and keep freed memory there (glibc; no-op elsewhere):
   see Allocator.swift in the ntpsep executable for why. */
#include <limits.h>   /* defines __GLIBC__ on glibc systems */
#if defined(__GLIBC__)
#include <malloc.h>
static inline void ntp_keep_large_blocks(void) {
    mallopt(M_MMAP_THRESHOLD, INT_MAX);
    mallopt(M_TRIM_THRESHOLD, INT_MAX);
}
#else
static inline void ntp_keep_large_blocks(void) {}
#endif

#endif
