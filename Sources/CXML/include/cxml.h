/* CXML: streaming text extraction from XML with libxml2's SAX2 push parser.
 *
 * This header contains NO libxml2 types: Swift imports it, and libxml2's headers pull in ICU
 * headers that clash with Foundation's ICU (see docs/swift-linux.md). Only cxml.c includes
 * libxml2 (through the CLibXML2 shim, which #undefs LIBXML_ICU_ENABLED).
 *
 * Security: no network, no DTD loading, no external entities (a process-wide external entity
 * loader that refuses everything is installed), never XML_PARSE_NOENT/DTDLOAD/HUGE, so
 * libxml2's entity amplification guard stays on. */
#ifndef CXML_H
#define CXML_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cxml_extractor cxml_extractor;

/* Receives UTF-8 text of selected elements (batched; element boundaries arrive as " "). */
typedef void (*cxml_text_fn)(void *sink, const uint8_t *bytes, int64_t length);
/* Called when an outermost selected element (or milestone range) closes. */
typedef void (*cxml_record_fn)(void *sink);

/* Creates an extractor. Element names are matched on their local name (namespace ignored).
 * An included element with an `sID` attribute opens a milestone range closed by an included
 * element with an `eID` attribute (OSIS `<verse sID/> ... <verse eID/>`).
 * Everything inside an excluded element is skipped. NULL only on allocation failure. */
cxml_extractor *cxml_open(const char *const *include, int32_t n_include,
                          const char *const *exclude, int32_t n_exclude,
                          const char *file_name);
void cxml_close(cxml_extractor *x);

/* Parses `length` more bytes (terminate != 0: end of input). Text and record ends are delivered
 * before it returns. Returns 0 on success, -1 on error (then see cxml_error_*; every later call
 * fails the same way). */
int32_t cxml_feed(cxml_extractor *x, const uint8_t *bytes, int64_t length, int32_t terminate,
                  void *sink, cxml_text_fn on_text, cxml_record_fn on_record);

/* First fatal error: 1-based line and column (0 if unknown), libxml2's message (no newline). */
int64_t cxml_error_line(const cxml_extractor *x);
int64_t cxml_error_column(const cxml_extractor *x);
const char *cxml_error_message(const cxml_extractor *x);
/* 1 when the error is one of our resource limits (entity expansion, attributes), not malformed XML. */
int32_t cxml_error_is_limit(const cxml_extractor *x);

/* References to entities that are not declared (their DTD is never loaded, or there is none):
 * not fatal, they produce no text. */
int64_t cxml_undefined_entity_count(const cxml_extractor *x);
/* The name of the first of them ("" when there is none). */
const char *cxml_first_undefined_entity(const cxml_extractor *x);
/* References to declared external entities, which are never loaded, and the first one's name ("" when none). */
int64_t cxml_external_entity_count(const cxml_extractor *x);
const char *cxml_first_external_entity(const cxml_extractor *x);
/* Milestone ranges (sID) that met no eID: each ended at the next sID of its element or at the end
   of the document. The element of the first one ("" when none); valid while the extractor lives. */
int64_t cxml_unclosed_milestone_count(const cxml_extractor *x);
const char *cxml_first_unclosed_milestone(const cxml_extractor *x);
/* Selected elements (and milestone ranges) opened so far. */
int64_t cxml_selected_count(const cxml_extractor *x);
/* The distinct element names met before the first selected element (at most 12, then ", …"),
 * as "a, b, c" in `out` (NUL-terminated, cut to `capacity`); returns the bytes written. */
int32_t cxml_seen_elements(const cxml_extractor *x, char *out, int32_t capacity);
/* Non-fatal diagnostics from libxml2 (including the undefined entities above). */
int64_t cxml_warning_count(const cxml_extractor *x);

#ifdef __cplusplus
}
#endif

#endif
