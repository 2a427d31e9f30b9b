#ifndef NTPSEP_CSUPPORT_H
#define NTPSEP_CSUPPORT_H
/* Small C helpers Swift has no spelling for. */

/* Starts loading the cache line at p (no fault if p is invalid). */
static inline void ntp_prefetch(const void *p) { __builtin_prefetch(p, 0, 3); }

#include <stdint.h>

/* For the 64 bytes at p: bit i of *space is set iff p[i] is ASCII whitespace (space, \t, \n,
   \v, \f, \r), bit i of *newline iff p[i] is '\n' (SSE2 where available). */
void ntp_space_masks64(const uint8_t *p, uint64_t *space, uint64_t *newline);

/* CPUs this process may run on (its affinity mask, e.g. under taskset), at least 1. */
int ntp_available_cpus(void);

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
/* Temporary folders to empty and remove when SIGINT, SIGTERM, SIGHUP or SIGQUIT arrives (the
   signal is then re-raised with its default action). At most 16 at a time; the folders must
   be flat (files only). Returns 0, or -1 when the table is full. */
int ntp_remove_on_signal(const char *dir);
/* Stops watching `dir` (after it was removed normally). */
void ntp_forget_on_signal(const char *dir);

#endif

/* Temporary folders to empty and remove when SIGINT, SIGTERM, SIGHUP or SIGQUIT arrives (the
   signal is then re-raised with its default action). At most 16 at a time; the folders must
   be flat (files only). Returns 0, or -1 when the table is full. */
int ntp_remove_on_signal(const char *dir);
/* Stops watching `dir` (after it was removed normally). */
void ntp_forget_on_signal(const char *dir);

#endif
