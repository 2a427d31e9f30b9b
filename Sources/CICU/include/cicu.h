/* CICU: a thin C layer over system ICU (libicu 72).
 *
 * This header deliberately contains NO ICU types: Swift imports it, and Swift must never see
 * <unicode/...> (Foundation ships its own ICU as `_FoundationICU`; both in one Swift module break
 * clean builds, see docs/swift-linux.md). Status codes are ICU UErrorCode values as int32_t
 * (<= 0 success, > 0 failure). Offsets are UTF-8 byte offsets into the caller's text. */
#ifndef CICU_H
#define CICU_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Break iteration over UTF-8 (UText over UTF-8: no UTF-16 copy) ---- */

typedef struct cicu_breaker cicu_breaker;

enum {
    CICU_BREAK_WORD = 0,
    CICU_BREAK_SENTENCE = 1
};

enum {
    /* every segment between consecutive boundaries */
    CICU_FILTER_ALL = 0,
    /* segments with White_Space, control and format characters trimmed off both ends; empty
     * ones dropped (a mark ICU glues to the space before it stays: " \u0301" gives "\u0301") */
    CICU_FILTER_NO_SPACE = 1,
    /* as NO_SPACE, then also drop the segments made only of punctuation and symbols (P*, S*,
     * emoji; with their marks and format characters) unless their rule status is word-like
     * (>= 100); numbers such as "\u00B2", private use, "\u3005", a lone mark stay */
    CICU_FILTER_WORDS = 2,
    /* whole segments trimmed as by NO_SPACE (sentences; word iterators give every segment to ICU) */
    CICU_FILTER_TRIM = 3,
    /* flag (or'ed into NO_SPACE/WORDS): disable the exact ASCII fast path (for testing). It is off
     * anyway for a locale whose word rules are not the root rules (sv, fi, en_US_POSIX in ICU 72) */
    CICU_FILTER_NO_FAST_PATH = 16
};

/* Opens a word or sentence break iterator for `locale` ("" = root). NULL on failure, *status set. */
cicu_breaker *cicu_breaker_open(int32_t kind, const char *locale, int32_t *status);
/* Independent copy (same rules, no text). NULL on failure. */
cicu_breaker *cicu_breaker_clone(const cicu_breaker *b, int32_t *status);
void cicu_breaker_close(cicu_breaker *b);
/* 1 when word segmentation uses the ASCII fast path: a word iterator whose locale has the root
 * locale's word rules (compared at open time), else 0. */
int32_t cicu_breaker_has_fast_path(const cicu_breaker *b);
/* Points the iterator at valid UTF-8 `text` (not copied: it must stay valid while iterating). */
void cicu_breaker_set_utf8(cicu_breaker *b, const uint8_t *text, int64_t length, int32_t *status);
/* Writes up to `cap` segments as pairs ranges[2i] = start, ranges[2i+1] = end (UTF-8 offsets)
 * that pass `filter`, continuing where the previous call stopped. Returns the number written;
 * 0 means the text is exhausted. */
int32_t cicu_breaker_next_segments(cicu_breaker *b, int32_t filter, int64_t *ranges, int32_t cap);

/* ---- Normalization and case folding of UTF-8 ---- */

typedef struct cicu_transform cicu_transform;

enum {
    CICU_NORM_NONE = 0,
    CICU_NORM_NFC = 1,
    CICU_NORM_NFKC = 2
};

/* Opens a transform (normalization and/or full case folding). NULL on failure, *status set. */
cicu_transform *cicu_transform_open(int32_t normalization, int32_t case_fold, int32_t *status);
void cicu_transform_close(cicu_transform *t);
/* Transforms valid UTF-8 `text`; *out points to internal storage valid until the next call.
 * Returns the output length in bytes, or -1 on failure with *status set. */
int64_t cicu_transform_apply(cicu_transform *t, const uint8_t *text, int64_t length,
                             const uint8_t **out, int32_t *status);

/* Human-readable name of an ICU status code (e.g. "U_MISSING_RESOURCE_ERROR"). */
const char *cicu_error_name(int32_t status);

/* 1 when ICU has data for the language of `locale` ("" = root counts as known), else 0. */
int32_t cicu_locale_is_known(const char *locale);

#ifdef __cplusplus
}
#endif

#endif
