#ifndef NTPSEP_CSUPPORT_H
#define NTPSEP_CSUPPORT_H
/* Small compiler intrinsics Swift has no spelling for. */

/* Starts loading the cache line at p (no fault if p is invalid). */
static inline void ntp_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#endif
