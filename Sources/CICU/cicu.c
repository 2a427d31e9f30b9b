/* Only this file sees ICU headers (see cicu.h for why). */
#include "cicu.h"

#include <stdlib.h>
#include <string.h>

#include <unicode/utypes.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

/* ------------------------------------------------------------------ break iteration */

struct cicu_breaker {
    UBreakIterator *bi;
    UText *ut;            /* reused across texts (utext_openUTF8 with an existing UText) */
    const uint8_t *text;
    int32_t length;
    int32_t pos;          /* last boundary returned, or UBRK_DONE when exhausted */
    int32_t u8pos;        /* start of the next segment (UTF-8 offset) */
};

cicu_breaker *cicu_breaker_open(int32_t kind, const char *locale, int32_t *status) {
    UErrorCode st = U_ZERO_ERROR;
    UBreakIteratorType type = kind == CICU_BREAK_SENTENCE ? UBRK_SENTENCE : UBRK_WORD;
    UBreakIterator *bi = ubrk_open(type, locale, NULL, 0, &st);
    if (U_FAILURE(st)) { *status = st; return NULL; }
    cicu_breaker *b = calloc(1, sizeof *b);
    if (!b) { ubrk_close(bi); *status = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    b->bi = bi;
    b->pos = UBRK_DONE;
    *status = st;
    return b;
}

cicu_breaker *cicu_breaker_clone(const cicu_breaker *src, int32_t *status) {
    UErrorCode st = U_ZERO_ERROR;
    UBreakIterator *bi = ubrk_clone(src->bi, &st);
    if (U_FAILURE(st)) { *status = st; return NULL; }
    cicu_breaker *b = calloc(1, sizeof *b);
    if (!b) { ubrk_close(bi); *status = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    b->bi = bi;
    b->pos = UBRK_DONE;
    *status = st;
    return b;
}

void cicu_breaker_close(cicu_breaker *b) {
    if (!b) return;
    ubrk_close(b->bi);
    if (b->ut) utext_close(b->ut);
    free(b);
}

void cicu_breaker_set_utf8(cicu_breaker *b, const uint8_t *text, int64_t length, int32_t *status) {
    /* ubrk offsets are int32_t: callers must hand over pieces below 2 GiB. */
    if (length < 0 || length > INT32_MAX) { *status = U_INDEX_OUTOFBOUNDS_ERROR; b->pos = UBRK_DONE; return; }
    UErrorCode st = U_ZERO_ERROR;
    static const uint8_t empty = 0;
    b->text = text ? text : &empty;
    b->length = (int32_t)length;
    b->u8pos = 0;
    /* UText over UTF-8: boundaries are UTF-8 offsets directly. Measured on KJV (2 loaded cores):
     * as fast as copying to UTF-16 first (both ~60 MB/s; ubrk_next alone ~68 MB/s), minus a copy. */
    b->ut = utext_openUTF8(b->ut, (const char *)b->text, length, &st);
    if (U_SUCCESS(st)) ubrk_setUText(b->bi, b->ut, &st);
    *status = st;
    b->pos = U_SUCCESS(st) ? ubrk_first(b->bi) : UBRK_DONE;
}

/* Whitespace, controls and format characters (BOM, ZWSP) never form a token. */
static inline int is_skippable(UChar32 c) {
    if (c < 0x80) return c <= 0x20 || c == 0x7F;
    if (c < 0) return 1;
    if (u_isUWhiteSpace(c)) return 1;
    int8_t t = u_charType(c);
    return t == U_CONTROL_CHAR || t == U_FORMAT_CHAR;
}

int32_t cicu_breaker_next_segments(cicu_breaker *b, int32_t filter, int64_t *ranges, int32_t cap) {
    int32_t n = 0;
    const uint8_t *s = b->text;
    while (n < cap && b->pos != UBRK_DONE) {
        int32_t start = b->u8pos;
        int32_t end = ubrk_next(b->bi);
        if (end == UBRK_DONE) { b->pos = UBRK_DONE; break; }
        b->u8pos = end;
        switch (filter) {
        case CICU_FILTER_ALL:
            break;
        case CICU_FILTER_WORDS:
            if (ubrk_getRuleStatus(b->bi) < UBRK_WORD_NONE_LIMIT) continue;
            break;
        case CICU_FILTER_NO_SPACE:
            if (ubrk_getRuleStatus(b->bi) < UBRK_WORD_NONE_LIMIT) {
                UChar32 c;
                int32_t i = start;
                U8_NEXT(s, i, end, c);
                if (is_skippable(c)) continue;
            }
            break;
        default: { /* CICU_FILTER_TRIM */
            for (;;) {                       /* leading whitespace */
                if (start >= end) break;
                int32_t i = start;
                UChar32 c;
                U8_NEXT(s, i, end, c);
                if (!is_skippable(c)) break;
                start = i;
            }
            for (;;) {                       /* trailing whitespace */
                if (end <= start) break;
                int32_t i = end;
                UChar32 c;
                U8_PREV(s, start, i, c);
                if (!is_skippable(c)) break;
                end = i;
            }
            if (start >= end) continue;
        }
        }
        ranges[2 * n] = start;
        ranges[2 * n + 1] = end;
        n++;
    }
    return n;
}

/* ------------------------------------------------------------------ normalization */

struct cicu_transform {
    const UNormalizer2 *norm;  /* NULL: no normalization. Singletons owned by ICU. */
    int fold;                  /* separate full case folding step (not needed with nfkc_cf) */
    int ascii_lower;           /* pure-ASCII input only needs lowercasing (fold or nfkc_cf) */
    UChar *a, *b;              /* UTF-16 scratch buffers */
    int32_t a_cap, b_cap;
    uint8_t *out;
    int64_t out_cap;
};

cicu_transform *cicu_transform_open(int32_t normalization, int32_t case_fold, int32_t *status) {
    UErrorCode st = U_ZERO_ERROR;
    cicu_transform *t = calloc(1, sizeof *t);
    if (!t) { *status = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    if (normalization == CICU_NORM_NFKC && case_fold) {
        /* ICU's NFKC_Casefold: closed under NFKC and folding in one pass. */
        t->norm = unorm2_getNFKCCasefoldInstance(&st);
        t->ascii_lower = 1;
    } else {
        if (normalization == CICU_NORM_NFC) t->norm = unorm2_getNFCInstance(&st);
        else if (normalization == CICU_NORM_NFKC) t->norm = unorm2_getNFKCInstance(&st);
        t->fold = case_fold != 0;
        t->ascii_lower = case_fold != 0;
    }
    if (U_FAILURE(st)) { free(t); *status = st; return NULL; }
    *status = st;
    return t;
}

void cicu_transform_close(cicu_transform *t) {
    if (!t) return;
    free(t->a); free(t->b); free(t->out);
    free(t);
}

static int grow16(UChar **p, int32_t *cap, int64_t need) {
    if (need <= *cap) return 1;
    if (need > INT32_MAX) return 0;
    int64_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    if (c > INT32_MAX) c = INT32_MAX;
    UChar *q = realloc(*p, (size_t)c * sizeof(UChar));
    if (!q) return 0;
    *p = q; *cap = (int32_t)c;
    return 1;
}



static int grow8(uint8_t **p, int64_t *cap, int64_t need) {
    if (need <= *cap) return 1;
    int64_t c = *cap ? *cap : 4096;
    while (c < need) c *= 2;
    uint8_t *q = realloc(*p, (size_t)c);
    if (!q) return 0;
    *p = q; *cap = c;
    return 1;
}

static int is_ascii(const uint8_t *s, int64_t n) {
    int64_t i = 0;
    uint64_t acc = 0;
    for (; i + 8 <= n; i += 8) { uint64_t w; memcpy(&w, s + i, 8); acc |= w; }
    for (; i < n; i++) acc |= s[i];
    return (acc & 0x8080808080808080ULL) == 0;
}

/* dst = op(src); on overflow grows dst to the preflighted size and retries once. */
#define RUN16(call_with_cap, dst, dst_cap, out_len) do {                         \
        UErrorCode e_ = U_ZERO_ERROR;                                           \
        out_len = call_with_cap(dst, dst_cap, &e_);                             \
        if (e_ == U_BUFFER_OVERFLOW_ERROR) {                                    \
            if (!grow16(&dst, &dst_cap, (int64_t)out_len + 1)) { *status = U_MEMORY_ALLOCATION_ERROR; return -1; } \
            e_ = U_ZERO_ERROR;                                                  \
            out_len = call_with_cap(dst, dst_cap, &e_);                         \
        }                                                                       \
        if (U_FAILURE(e_)) { *status = e_; return -1; }                         \
    } while (0)

int64_t cicu_transform_apply(cicu_transform *t, const uint8_t *text, int64_t length,
                             const uint8_t **out, int32_t *status) {
    *status = U_ZERO_ERROR;
    if (!grow8(&t->out, &t->out_cap, length > 0 ? length : 1)) { *status = U_MEMORY_ALLOCATION_ERROR; return -1; }
    if (is_ascii(text, length)) {
        /* ASCII is NFC/NFKC already; folding ASCII is lowercasing. The common English case. */
        if (t->ascii_lower) {
            for (int64_t i = 0; i < length; i++) {
                uint8_t c = text[i];
                t->out[i] = (uint8_t)(c - 'A') < 26 ? (uint8_t)(c + 32) : c;
            }
        } else if (length > 0) {
            memcpy(t->out, text, (size_t)length);
        }
        *out = t->out;
        return length;
    }
    if (length > INT32_MAX / 2) { *status = U_INDEX_OUTOFBOUNDS_ERROR; return -1; }
    /* UTF-8 -> UTF-16: never more code units than bytes. */
    if (!grow16(&t->a, &t->a_cap, length + 1)) { *status = U_MEMORY_ALLOCATION_ERROR; return -1; }
    UErrorCode e = U_ZERO_ERROR;
    int32_t n = 0;
    int32_t subs = 0;  /* invalid UTF-8 becomes U+FFFD instead of failing */
    u_strFromUTF8WithSub(t->a, t->a_cap, &n, (const char *)text, (int32_t)length, 0xFFFD, &subs, &e);
    if (U_FAILURE(e)) { *status = e; return -1; }
    if (!grow16(&t->b, &t->b_cap, (int64_t)n + 1)) { *status = U_MEMORY_ALLOCATION_ERROR; return -1; }
    UChar *src = t->a;
    int32_t m = 0;
    if (t->fold) {
#define FOLD(d, c, e) u_strFoldCase(d, c, src, n, U_FOLD_CASE_DEFAULT, e)
        RUN16(FOLD, t->b, t->b_cap, m);
#undef FOLD
        /* result in b; swap so that src is the latest text and the other buffer is free */
        UChar *tp = t->a; t->a = t->b; t->b = tp;
        int32_t tc = t->a_cap; t->a_cap = t->b_cap; t->b_cap = tc;
        src = t->a; n = m;
    }
    if (t->norm) {
#define NORM(d, c, e) unorm2_normalize(t->norm, src, n, d, c, e)
        RUN16(NORM, t->b, t->b_cap, m);
#undef NORM
        src = t->b; n = m;
    }
    e = U_ZERO_ERROR;
    int32_t olen = 0;
    u_strToUTF8((char *)t->out, t->out_cap > INT32_MAX ? INT32_MAX : (int32_t)t->out_cap, &olen, src, n, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR) {
        if (!grow8(&t->out, &t->out_cap, (int64_t)olen + 1)) { *status = U_MEMORY_ALLOCATION_ERROR; return -1; }
        e = U_ZERO_ERROR;
        u_strToUTF8((char *)t->out, t->out_cap > INT32_MAX ? INT32_MAX : (int32_t)t->out_cap, &olen, src, n, &e);
    }
    if (U_FAILURE(e)) { *status = e; return -1; }
    *out = t->out;
    return olen;
}

const char *cicu_error_name(int32_t status) {
    return u_errorName((UErrorCode)status);
}
