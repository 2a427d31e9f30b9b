/* Only this file sees ICU headers (see cicu.h for why). */
#include "cicu.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <unicode/utypes.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utext.h>
#include <unicode/uloc.h>
#include <unicode/utf8.h>

/* ------------------------------------------------------------------ break iteration */

struct cicu_breaker {
    UBreakIterator *bi;
    UText *ut;            /* reused across texts (utext_openUTF8 with an existing UText) */
    const uint8_t *text;
    int32_t length;
    int32_t pos;          /* last boundary returned, or UBRK_DONE when exhausted */
    int32_t u8pos;        /* start of the next ICU segment (offset in the ICU stretch) */
    int32_t kind;
    /* word fast path state (see next_words) */
    int32_t scan;          /* next byte the ASCII scanner looks at */
    int32_t stretch;       /* start of pending text for ICU, or -1 */
    int32_t icu_on;        /* ICU is iterating [icu_base, icu_base + its length) */
    int32_t icu_base;
    int32_t fast_ok;       /* word iterator with the root rules, which the ASCII fast path encodes */
};

/* The compiled rules of `bi` in a fresh buffer of *len bytes; NULL on failure. */
static uint8_t *binary_rules(UBreakIterator *bi, int32_t *len) {
    UErrorCode st = U_ZERO_ERROR;
    const int32_t n = ubrk_getBinaryRules(bi, NULL, 0, &st);
    if (U_FAILURE(st) || n <= 0) return NULL;
    uint8_t *r = malloc((size_t)n);
    if (!r) return NULL;
    ubrk_getBinaryRules(bi, r, n, &st);
    if (U_FAILURE(st)) { free(r); return NULL; }
    *len = n;
    return r;
}

/* 1 when the word iterator `bi` applies the root locale's rules, the ones the ASCII fast path
 * encodes. ICU 72 tailors ASCII word breaks for sv and fi (':' joins letters: "C:a") and for
 * en_US_POSIX ('.' joins nothing: "Mr . Smith"); comparing the compiled rules is exact for every
 * locale and ICU version, with no list to maintain. Costs one root iterator and two copies of
 * ~22 KB of rules, once per open. */
static int has_root_word_rules(UBreakIterator *bi) {
    UErrorCode st = U_ZERO_ERROR;
    UBreakIterator *root = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
    if (U_FAILURE(st)) return 0;
    int32_t n = 0, m = 0;
    uint8_t *mine = binary_rules(bi, &n), *theirs = binary_rules(root, &m);
    const int same = mine && theirs && n == m && memcmp(mine, theirs, (size_t)n) == 0;
    free(mine);
    free(theirs);
    ubrk_close(root);
    return same;
}

cicu_breaker *cicu_breaker_open(int32_t kind, const char *locale, int32_t *status) {
    UErrorCode st = U_ZERO_ERROR;
    UBreakIteratorType type = kind == CICU_BREAK_SENTENCE ? UBRK_SENTENCE : UBRK_WORD;
    UBreakIterator *bi = ubrk_open(type, locale, NULL, 0, &st);
    if (U_FAILURE(st)) { *status = st; return NULL; }
    cicu_breaker *b = calloc(1, sizeof *b);
    if (!b) { ubrk_close(bi); *status = U_MEMORY_ALLOCATION_ERROR; return NULL; }
    b->bi = bi;
    b->kind = kind;
    b->pos = UBRK_DONE;
    b->fast_ok = kind == CICU_BREAK_WORD && has_root_word_rules(bi);
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
    b->kind = src->kind;
    b->pos = UBRK_DONE;
    b->fast_ok = src->fast_ok;
    *status = st;
    return b;
}

int32_t cicu_breaker_has_fast_path(const cicu_breaker *b) {
    return b->fast_ok;
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
    b->scan = 0;
    b->stretch = -1;
    b->icu_on = 0;
    b->icu_base = 0;
    if (b->kind == CICU_BREAK_WORD) {
        /* ICU is pointed at stretches lazily by next_words; nothing else to do */
        *status = st;
        b->pos = 0;
        return;
    }
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

/* Moves *start and *end past the whitespace, control and format characters at the ends of
 * s[*start, *end). */
static inline void trim_skippable(const uint8_t *s, int32_t *start, int32_t *end) {
    while (*start < *end) {
        int32_t i = *start;
        UChar32 c;
        U8_NEXT(s, i, *end, c);
        if (!is_skippable(c)) break;
        *start = i;
    }
    while (*end > *start) {
        int32_t i = *end;
        UChar32 c;
        U8_PREV(s, *start, i, c);
        if (!is_skippable(c)) break;
        *end = i;
    }
}

/* 1 when s[start, end) has punctuation (P*) or symbols (S*, emoji included) and nothing else but
 * the marks and format characters of their sequences (VS16, ZWJ, keycap, tags). */
static int only_punctuation_symbols(const uint8_t *s, int32_t start, int32_t end) {
    int any = 0;
    for (int32_t i = start; i < end;) {
        UChar32 c;
        U8_NEXT(s, i, end, c);
        const uint32_t m = U_MASK(u_charType(c));
        if (m & (U_GC_P_MASK | U_GC_S_MASK)) any = 1;
        else if (!(m & (U_GC_M_MASK | U_GC_CF_MASK))) return 0;
    }
    return any;
}

/* Segments from ICU over the current stretch [icu_base, ...) until ICU is exhausted or cap.
 * Every filter but ALL trims whitespace, controls and format characters off both ends of a
 * segment and drops it if nothing is left (ICU glues a mark or a ZWJ sequence to the space before
 * it: " \u0301", " \u200D\U0001F44D"; the rest is kept). WORDS also drops what is left when its
 * rule status is not word-like and it is only punctuation and symbols. */
static int32_t icu_segments(cicu_breaker *b, int32_t filter, int64_t *ranges, int32_t cap) {
    int32_t n = 0;
    const uint8_t *s = b->text + b->icu_base;
    const int64_t base = b->icu_base;
    while (n < cap && b->pos != UBRK_DONE) {
        int32_t start = b->u8pos;
        int32_t end = ubrk_next(b->bi);
        if (end == UBRK_DONE) { b->pos = UBRK_DONE; break; }
        b->u8pos = end;
        if (filter != CICU_FILTER_ALL) {
            trim_skippable(s, &start, &end);
            if (start >= end) continue;
            if (filter == CICU_FILTER_WORDS && ubrk_getRuleStatus(b->bi) < UBRK_WORD_NONE_LIMIT
                && only_punctuation_symbols(s, start, end)) continue;
        }
        ranges[2 * n] = base + start;
        ranges[2 * n + 1] = base + end;
        n++;
    }
    return n;
}

/* Points ICU at text[start, end). */
static void icu_start(cicu_breaker *b, int32_t start, int32_t end) {
    UErrorCode st = U_ZERO_ERROR;
    b->ut = utext_openUTF8(b->ut, (const char *)b->text + start, end - start, &st);
    if (U_SUCCESS(st)) ubrk_setUText(b->bi, b->ut, &st);
    b->icu_base = start;
    b->u8pos = 0;
    b->pos = U_SUCCESS(st) ? ubrk_first(b->bi) : UBRK_DONE;
    b->icu_on = 1;
}

static inline int ascii_ws(uint8_t c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

/* ASCII classes of the fast path, as ICU 72's root word rules treat them (measured, and checked
 * against ICU by the differential tests):
 *   LETTER  [A-Za-z] (ALetter)            DIGIT [0-9] (Numeric)
 *   PUNCT   the punctuation and symbols ICU never joins to a neighbour except as below: all of
 *           !"#$%&'()*+,-./:;<=>?[\]^`{|}~ (not '_', ExtendNumLet, nor '@', which ICU makes a
 *           letter); ':' is not MidLetter in ICU's rules ("a:b" is three segments)
 *   MID_LETTER  . '   between two letters or two digits they join them ("e.g", "don't", "3.5")
 *   MID_NUMBER  , ;   between two digits only ("1,000", "3;5")
 * Anything else (controls, '@', '_', non-ASCII) sends its piece to ICU. */
enum { FAST_LETTER = 1, FAST_PUNCT = 2, FAST_DIGIT = 4, FAST_MID_LETTER = 8, FAST_MID_NUMBER = 16 };
#define FAST_MIDL (FAST_PUNCT | FAST_MID_LETTER)
#define FAST_MIDN (FAST_PUNCT | FAST_MID_NUMBER)
#if !defined(__SSE2__)   /* the SSE2 window computes the same classes with byte ranges */
static const uint8_t fast_class[128] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1,
    ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
    ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
    ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
    ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
    ['0'] = 4, ['1'] = 4, ['2'] = 4, ['3'] = 4, ['4'] = 4, ['5'] = 4, ['6'] = 4, ['7'] = 4, ['8'] = 4, ['9'] = 4,
    ['!'] = 2, ['"'] = 2, ['#'] = 2, ['$'] = 2, ['%'] = 2, ['&'] = 2, ['\''] = FAST_MIDL, ['('] = 2,
    [')'] = 2, ['*'] = 2, ['+'] = 2, [','] = FAST_MIDN, ['-'] = 2, ['.'] = FAST_MIDL, ['/'] = 2, [':'] = 2,
    [';'] = FAST_MIDN, ['<'] = 2, ['='] = 2, ['>'] = 2, ['?'] = 2, ['['] = 2, ['\\'] = 2, [']'] = 2,
    ['^'] = 2, ['`'] = 2, ['{'] = 2, ['|'] = 2, ['}'] = 2, ['~'] = 2,
};
#endif

/* Bit masks of 64 bytes of text from `base`, one per class above plus ASCII whitespace. The
 * scanner reads pieces off them instead of byte by byte. */
typedef struct { int32_t base; uint64_t ws, letter, digit, punct, mid_letter, mid_number; } ascii_window;

#if defined(__SSE2__)
/* unsigned lo <= v <= hi, bytewise */
static inline __m128i in_range(__m128i v, uint8_t lo, uint8_t hi) {
    const __m128i t = _mm_sub_epi8(v, _mm_set1_epi8((char)lo));
    return _mm_cmpeq_epi8(_mm_min_epu8(t, _mm_set1_epi8((char)(hi - lo))), t);
}
static inline __m128i equal(__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }
static inline uint64_t mask16(__m128i m, int k) { return (uint64_t)(uint16_t)_mm_movemask_epi8(m) << (16 * k); }
#endif

/* Past the end of the text the window reads spaces, so a piece that reaches the end ends there. */
static inline void window_load(ascii_window *w, const uint8_t *s, int32_t len, int32_t base) {
    uint64_t ws = 0, letter = 0, digit = 0, punct = 0, mid_letter = 0, mid_number = 0;
    uint8_t padded[64];
    const uint8_t *t = s + base;
    if (len - base < 64) {
        memcpy(padded, t, (size_t)(len - base));
        memset(padded + (len - base), ' ', (size_t)(64 - (len - base)));
        t = padded;
    }
#if defined(__SSE2__)
    for (int k = 0; k < 4; k++) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(t + 16 * k));
        const __m128i space = _mm_or_si128(equal(v, ' '), in_range(v, 0x09, 0x0D));
        const __m128i alpha = in_range(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'z');
        __m128i p = _mm_or_si128(in_range(v, 0x21, 0x2F), in_range(v, 0x3A, 0x3F));
        p = _mm_or_si128(p, _mm_andnot_si128(equal(v, '_'), in_range(v, 0x5B, 0x60)));
        p = _mm_or_si128(p, in_range(v, 0x7B, 0x7E));
        ws |= mask16(space, k);
        letter |= mask16(alpha, k);
        digit |= mask16(in_range(v, '0', '9'), k);
        punct |= mask16(p, k);
        mid_letter |= mask16(_mm_or_si128(equal(v, '.'), equal(v, '\'')), k);
        mid_number |= mask16(_mm_or_si128(equal(v, ','), equal(v, ';')), k);
    }
#else
    for (int k = 0; k < 64; k++) {
        const uint8_t c = t[k];
        const uint8_t cls = c < 128 ? fast_class[c] : 0;
        const uint64_t bit = (uint64_t)1 << k;
        if (ascii_ws(c)) ws |= bit;
        if (cls & FAST_LETTER) letter |= bit;
        if (cls & FAST_DIGIT) digit |= bit;
        if (cls & FAST_PUNCT) punct |= bit;
        if (cls & FAST_MID_LETTER) mid_letter |= bit;
        if (cls & FAST_MID_NUMBER) mid_number |= bit;
    }
#endif
    w->base = base; w->ws = ws; w->letter = letter; w->digit = digit; w->punct = punct;
    w->mid_letter = mid_letter; w->mid_number = mid_number;
}

/* Makes the window cover byte i (i < len) and returns i's bit in it. */
static inline int window_at(ascii_window *w, const uint8_t *s, int32_t len, int32_t i) {
    if (i < w->base || i >= w->base + 64) window_load(w, s, len, i);
    return i - w->base;
}

/* The segments of one piece (the bytes `bits` of the window, bounded by ASCII whitespace) when
 * it is made of fast-path classes only, as ICU cuts it: letters and digits join (WB5, WB8-10);
 * a MID_LETTER character joins the two letters or two digits around it (WB6/7, WB11/12), a
 * MID_NUMBER character two digits (WB11/12); every other punctuation character is a segment of
 * its own (WB999). Whitespace around the piece breaks on both sides (WB3a/b, WB3d only joins
 * spaces; the piece's first byte is ASCII, so nothing from it attaches to the whitespace before).
 * Sets *word (characters of word segments) and *single (one-character punctuation segments) and
 * returns the number of segments, or -1 when the piece needs ICU. */
static inline int32_t piece_segments(const ascii_window *w, uint64_t bits, uint64_t *word, uint64_t *single) {
    const uint64_t letters = w->letter & bits, digits = w->digit & bits, punct = w->punct & bits;
    if ((letters | digits | punct) != bits) return -1;
    const uint64_t between_letters = (letters << 1) & (letters >> 1);
    const uint64_t between_digits = (digits << 1) & (digits >> 1);
    const uint64_t joins = (w->mid_letter & (between_letters | between_digits)) | (w->mid_number & between_digits);
    const uint64_t t = letters | digits | (joins & bits);
    *word = t;
    *single = punct & ~t;
    return __builtin_popcountll(t & ~(t << 1)) + __builtin_popcountll(*single);
}

/* Word segmentation with an exact ASCII fast path. The text is cut into pieces at ASCII
 * whitespace; a word break always falls before whitespace, and after it when the next character
 * is ASCII (only non-ASCII Extend/Format/ZWJ characters attach to a preceding space). Pieces of
 * fast-path classes shorter than 64 bytes are segmented here (see piece_segments); everything else
 * ('@', '_', non-ASCII, very long pieces...) is collected into stretches that ICU segments, so
 * results equal ICU's. */
static int32_t next_words(cicu_breaker *b, int32_t filter, int64_t *ranges, int32_t cap) {
    int32_t n = 0;
    const uint8_t *s = b->text;
    const int32_t len = b->length;
    const int keep_punct = filter != CICU_FILTER_WORDS;
    ascii_window w = { .base = -64 };          /* covers no byte yet */
    for (;;) {
        if (b->icu_on) {
            n += icu_segments(b, filter, ranges + 2 * n, cap - n);
            if (b->pos != UBRK_DONE) return n;   /* cap reached */
            b->icu_on = 0;
        }
        int32_t i = b->scan;
        const int32_t ws_start = i;
        for (;;) {                             /* skip whitespace */
            if (i >= len) { i = len; break; }
            const int off = window_at(&w, s, len, i);   /* before reading w: it may reload */
            const uint64_t rest = ~w.ws >> off;
            if (rest) { i += __builtin_ctzll(rest); break; }
            i = w.base + 64;
        }
        if (i == len) {
            if (b->stretch >= 0) { icu_start(b, b->stretch, len); b->stretch = -1; continue; }
            b->scan = len;
            return n;
        }
        const int32_t piece = i;
        int32_t piece_end;
        int32_t count = -1;
        uint64_t word = 0, single = 0;         /* the piece's bits in the window, when it fits */
        int off = window_at(&w, s, len, piece);
        if ((w.ws >> off) == 0 && off > 0) { window_load(&w, s, len, piece); off = 0; }
        const uint64_t after = w.ws >> off;
        if (after) {                           /* the piece ends inside the window (or the text) */
            const int k = __builtin_ctzll(after);
            piece_end = piece + k;
            count = piece_segments(&w, (((uint64_t)1 << k) - 1) << off, &word, &single);
        } else {                               /* 64 bytes or more without whitespace: ICU */
            piece_end = piece + 64;
            while (piece_end < len && !ascii_ws(s[piece_end])) piece_end++;
        }
        const int cut_ok = s[piece] < 0x80;   /* a break falls between the whitespace and the piece */
        if (count >= 0) {                      /* (all ASCII, so cut_ok) */
            if (b->stretch >= 0) {             /* let ICU finish the text before this piece */
                icu_start(b, b->stretch, ws_start);
                b->stretch = -1;
                continue;
            }
            if (count > cap - n) return n;     /* resume at this piece in the next batch */
            /* segment starts in order: one-character punctuation and the first bit of each word run */
            uint64_t starts = (keep_punct ? single : 0) | (word & ~(word << 1));
            while (starts) {
                const int q = __builtin_ctzll(starts);
                starts &= starts - 1;
                const int32_t at = w.base + q;
                ranges[2 * n] = at;
                ranges[2 * n + 1] = at + ((word >> q) & 1 ? __builtin_ctzll(~(word >> q)) : 1);
                n++;
            }
            b->scan = piece_end;
        } else {
            if (b->stretch < 0) b->stretch = cut_ok ? piece : ws_start;
            b->scan = piece_end;
        }
    }
}

int32_t cicu_breaker_next_segments(cicu_breaker *b, int32_t filter, int64_t *ranges, int32_t cap) {
    const int fast = b->fast_ok && !(filter & CICU_FILTER_NO_FAST_PATH);
    filter &= ~CICU_FILTER_NO_FAST_PATH;
    if (b->kind == CICU_BREAK_WORD && fast && filter != CICU_FILTER_ALL && filter != CICU_FILTER_TRIM)
        return next_words(b, filter, ranges, cap);
    if (b->kind == CICU_BREAK_WORD && !b->icu_on && b->pos != UBRK_DONE) {
        icu_start(b, 0, b->length);    /* no fast path (tailored rules, tests) or unfiltered: plain ICU */
    }
    return icu_segments(b, filter, ranges, cap);
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

int32_t cicu_locale_is_known(const char *locale) {
    UErrorCode status = U_ZERO_ERROR;
    char canonical[ULOC_FULLNAME_CAPACITY], language[ULOC_LANG_CAPACITY];
    uloc_canonicalize(locale, canonical, (int32_t)sizeof canonical, &status);
    if (U_FAILURE(status) || status == U_STRING_NOT_TERMINATED_WARNING) return 0;
    uloc_getLanguage(canonical, language, (int32_t)sizeof language, &status);
    if (U_FAILURE(status) || status == U_STRING_NOT_TERMINATED_WARNING) return 0;
    if (language[0] == 0) return canonical[0] == 0;   /* "" is root; "_XX" alone is not a locale */
    int32_t n = uloc_countAvailable();
    for (int32_t i = 0; i < n; i++) {
        char other[ULOC_LANG_CAPACITY];
        UErrorCode s2 = U_ZERO_ERROR;
        uloc_getLanguage(uloc_getAvailable(i), other, (int32_t)sizeof other, &s2);
        if (U_SUCCESS(s2) && strcmp(other, language) == 0) return 1;
    }
    return 0;
}
