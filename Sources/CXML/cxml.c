/* Only this file sees libxml2 (see cxml.h for why). */
#include "cxml.h"

#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_PLAIN = 0, KIND_SELECTED = 1, KIND_EXCLUDED = 2, KIND_MILESTONE = 3 };
/* Open milestone ranges whose element is remembered (deeper ones are counted only). */
#define MILESTONE_NAMES 64

#define OUT_CAP 65536
#define SEEN_CAP 12         /* element names kept for "elements seen" */

/* Entity expansion bound, as libxml2's own amplification guard (2.11+) does it: the character
 * data produced may exceed the input consumed by at most this factor plus a fixed allowance.
 * Ordinary text produces at most ~1.5 bytes per input byte (UTF-16 to UTF-8). */
#define MAX_AMPLIFICATION 10
#define AMPLIFICATION_ALLOWANCE (1 << 20)

/* libxml2 2.9 checks attribute names for duplicates pairwise: n attributes cost n² steps
 * (200,000 take half a minute), so larger start tags are refused before the parser sees them. */
#define MAX_ATTRIBUTES 10000

/* A byte-level lexer over the raw input that counts the '=' of attributes in each start tag,
 * skipping quoted values, comments, CDATA sections, processing instructions and declarations.
 * Only meaningful for ASCII-compatible encodings; it is off for UTF-16/32 input. */
enum { SCAN_TEXT, SCAN_OPEN, SCAN_TAG, SCAN_QUOTE, SCAN_BANG, SCAN_COMMENT, SCAN_CDATA, SCAN_PI, SCAN_DECL, SCAN_OFF };
struct markup_scan {
    int state;
    uint8_t quote;       /* the quote character of SCAN_QUOTE */
    int run;             /* progress through a terminator ("-->", "]]>", "?>") or "<!" prefix */
    uint8_t bang[8];     /* bytes after "<!" until the kind is known */
    int64_t attributes;  /* '=' seen in the current start tag */
    int64_t line;        /* line of the current start tag (1-based) */
    int64_t lines;       /* newlines seen so far */
};

struct cxml_extractor {
    xmlParserCtxtPtr ctxt;      /* created on the first 4 bytes (encoding detection) */
    xmlSAXHandler sax;
    char **include, **exclude;  /* owned copies, interned into the parser dict on creation */
    int32_t n_include, n_exclude;
    const xmlChar **inc, **exc; /* dict pointers: names compare by pointer */
    const xmlChar *sid, *eid;
    char *file_name;

    uint8_t *kinds;             /* one KIND_* per open element */
    size_t depth, kinds_cap;
    int64_t selected;           /* open selected elements + open milestone ranges */
    int64_t excluded;           /* open excluded elements */
    int64_t milestones;         /* open milestone ranges */
    const xmlChar *milestone_names[MILESTONE_NAMES]; /* element of each open range, innermost last (dict pointers) */
    int64_t unclosed_milestones; /* ranges that met no eID: ended at the next sID of their element, or at the end */
    char first_unclosed[128];   /* the element of the first such range */
    int seen_element;           /* any start tag parsed (distinguishes an empty document) */
    int64_t selected_seen;      /* selected elements and milestone ranges opened so far */
    const xmlChar *seen[SEEN_CAP]; /* distinct element names before the first selected one (dict pointers) */
    int32_t n_seen, more_seen;

    uint8_t head[4];            /* bytes held back until the parser can detect the encoding */
    int32_t n_head;

    uint8_t out[OUT_CAP];       /* text batched to cut callbacks into Swift */
    size_t n_out;
    void *sink;
    cxml_text_fn on_text;
    cxml_record_fn on_record;

    int failed;
    int err_code;
    int64_t err_line, err_col;
    char err_msg[512];
    int64_t undefined_entities, warnings;
    char first_undefined[128];  /* the name of the first undeclared entity referenced */
    int64_t external_entities;  /* references to declared external entities, never loaded */
    char first_external[128];

    int64_t fed;                /* input bytes given to the parser so far */
    int64_t characters;         /* bytes of character data the parser produced (entities expanded) */
    struct markup_scan scan;    /* attribute counter over the raw input (see scan_markup) */
};

/* ------------------------------------------------------------------ output */

static void flush(struct cxml_extractor *x) {
    if (x->n_out) { x->on_text(x->sink, x->out, (int64_t)x->n_out); x->n_out = 0; }
}

static inline void put(struct cxml_extractor *x, const uint8_t *s, size_t n) {
    if (x->n_out + n > OUT_CAP) {
        flush(x);
        if (n > OUT_CAP) { x->on_text(x->sink, s, (int64_t)n); return; }
    }
    memcpy(x->out + x->n_out, s, n);
    x->n_out += n;
}

static inline void space(struct cxml_extractor *x) {
    if (x->n_out == OUT_CAP) flush(x);
    x->out[x->n_out++] = ' ';
}

static void record_end(struct cxml_extractor *x) {
    flush(x);
    x->on_record(x->sink);
}

/* ------------------------------------------------------------------ SAX callbacks */

/* The extractor whose parser xmlCreatePushParserCtxt is creating: errors raised in there (an
 * unsupported encoding such as UCS-4 "\0<\0\0") arrive before ctxt->_private is set. */
static __thread struct cxml_extractor *creating;

static inline struct cxml_extractor *ext(void *ctx) {
    struct cxml_extractor *x = ctx ? (struct cxml_extractor *)((xmlParserCtxtPtr)ctx)->_private : NULL;
    return x ? x : creating;
}

static inline int member(const xmlChar *name, const xmlChar **set, int32_t n) {
    for (int32_t i = 0; i < n; i++) if (set[i] == name) return 1;
    return 0;
}

static int push_kind(struct cxml_extractor *x, uint8_t kind) {
    if (x->depth == x->kinds_cap) {
        size_t c = x->kinds_cap ? x->kinds_cap * 2 : 256;
        uint8_t *k = realloc(x->kinds, c);
        if (!k) { xmlStopParser(x->ctxt); return 0; }
        x->kinds = k; x->kinds_cap = c;
    }
    x->kinds[x->depth++] = kind;
    return 1;
}

/* Remembers a distinct element name (for the "elements seen" of a document without selected ones). */
static void note_name(struct cxml_extractor *x, const xmlChar *name) {
    for (int32_t i = 0; i < x->n_seen; i++) if (x->seen[i] == name) return;
    if (x->n_seen < SEEN_CAP) x->seen[x->n_seen++] = name; else x->more_seen = 1;
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                     int nb_defaulted, const xmlChar **attributes) {
    (void)prefix; (void)uri; (void)nb_namespaces; (void)namespaces; (void)nb_defaulted;
    struct cxml_extractor *x = ext(ctx);
    x->seen_element = 1;
    if (x->selected_seen == 0) note_name(x, localname);
    if (x->excluded > 0) { push_kind(x, KIND_PLAIN); return; }
    if (x->n_exclude && member(localname, x->exc, x->n_exclude)) {
        if (x->selected > 0) space(x);
        x->excluded++;
        push_kind(x, KIND_EXCLUDED);
        return;
    }
    if (member(localname, x->inc, x->n_include)) {
        /* attributes: (localname, prefix, URI, value, end) per attribute */
        for (int i = 0; i < nb_attributes; i++) {
            const xmlChar *a = attributes[5 * i];
            if (a == x->sid) {
                /* Milestones of one element do not nest (an OSIS verse never holds a verse): an open
                   range of this element lost its eID, and this sID ends it. */
                if (x->milestones > 0 && x->milestones <= MILESTONE_NAMES
                    && x->milestone_names[x->milestones - 1] == localname) {
                    if (!x->first_unclosed[0]) snprintf(x->first_unclosed, sizeof x->first_unclosed, "%s", (const char *)localname);
                    x->unclosed_milestones++;
                    x->milestones--;
                    if (--x->selected == 0) record_end(x);
                }
                if (x->selected > 0) space(x);
                if (x->milestones < MILESTONE_NAMES) x->milestone_names[x->milestones] = localname;
                x->milestones++;
                x->selected++;
                x->selected_seen++;
                push_kind(x, KIND_MILESTONE);
                return;
            }
            if (a == x->eid) {
                if (x->milestones > 0) {
                    x->milestones--;
                    if (--x->selected == 0) record_end(x); else space(x);
                }
                push_kind(x, KIND_MILESTONE);
                return;
            }
        }
        if (x->selected > 0) space(x);
        x->selected++;
        x->selected_seen++;
        push_kind(x, KIND_SELECTED);
        return;
    }
    if (x->selected > 0) space(x);
    push_kind(x, KIND_PLAIN);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri) {
    (void)localname; (void)prefix; (void)uri;
    struct cxml_extractor *x = ext(ctx);
    if (x->depth == 0) return;
    switch (x->kinds[--x->depth]) {
    case KIND_PLAIN:
        if (x->excluded == 0 && x->selected > 0) space(x);
        break;
    case KIND_SELECTED:
        if (--x->selected == 0) record_end(x); else space(x);
        break;
    case KIND_EXCLUDED:
        if (--x->excluded == 0 && x->selected > 0) space(x);
        break;
    default: /* milestone markers act at their start tag */
        break;
    }
}

static void fail(struct cxml_extractor *x, int64_t line, int64_t column, const char *message) {
    if (x->failed) return;
    x->failed = 1;
    x->err_code = -1;
    x->err_line = line;
    x->err_col = column;
    snprintf(x->err_msg, sizeof x->err_msg, "%s", message);
    if (x->ctxt) xmlStopParser(x->ctxt);
}

static void on_chars(void *ctx, const xmlChar *ch, int len) {
    struct cxml_extractor *x = ext(ctx);
    x->characters += len;
    if (x->characters > MAX_AMPLIFICATION * x->fed + AMPLIFICATION_ALLOWANCE) {
        char m[300];
        snprintf(m, sizeof m, "entity expansion produced %lld bytes of text from %lld bytes of XML, more than %d times the input "
                 "(an entity bomb?); if the document is genuine, expand its entities first (xmllint --noent)",
                 (long long)x->characters, (long long)x->fed, MAX_AMPLIFICATION);
        fail(x, xmlSAX2GetLineNumber(x->ctxt), xmlSAX2GetColumnNumber(x->ctxt), m);
        return;
    }
    if (x->selected > 0 && x->excluded == 0) put(x, ch, (size_t)len);
}

/* Runs the markup lexer over one chunk; 0 when a start tag has too many attributes. */
static int scan_markup(struct cxml_extractor *x, const uint8_t *b, int64_t n) {
    struct markup_scan *m = &x->scan;
    for (int64_t i = 0; i < n && m->state != SCAN_OFF; i++) {
        uint8_t c = b[i];
        if (c == '\n') m->lines++;
        switch (m->state) {
        case SCAN_TEXT:
            if (c == '<') m->state = SCAN_OPEN;
            break;
        case SCAN_OPEN:
            if (c == '!') { m->state = SCAN_BANG; m->run = 0; }
            else if (c == '?') { m->state = SCAN_PI; m->run = 0; }
            else if (c == '/' || c == '<') m->state = c == '<' ? SCAN_OPEN : SCAN_DECL;
            else { m->state = SCAN_TAG; m->attributes = 0; m->line = m->lines + 1; }
            break;
        case SCAN_TAG:
            if (c == '"' || c == '\'') { m->state = SCAN_QUOTE; m->quote = c; }
            else if (c == '>') m->state = SCAN_TEXT;
            else if (c == '=' && ++m->attributes > MAX_ATTRIBUTES) {
                char msg[200];
                snprintf(msg, sizeof msg, "a start tag with more than %d attributes; split the element or remove attributes "
                         "(this many make the parser quadratically slow)", MAX_ATTRIBUTES);
                fail(x, m->line, 0, msg);
                return 0;
            }
            break;
        case SCAN_QUOTE:
            if (c == m->quote) m->state = SCAN_TAG;
            break;
        case SCAN_BANG: { /* "<!" seen: "--" starts a comment, "[CDATA[" a CDATA section, else a declaration */
            static const char cdata[] = "[CDATA[";
            m->bang[m->run++] = c;
            int comment = m->bang[0] == '-', section = memcmp(m->bang, cdata, (size_t)m->run) == 0;
            if (comment && m->run == 2) { m->state = c == '-' ? SCAN_COMMENT : SCAN_DECL; m->run = 0; }
            else if (section && m->run == 7) { m->state = SCAN_CDATA; m->run = 0; }
            else if (!comment && !section) m->state = c == '>' ? SCAN_TEXT : SCAN_DECL;
            break;
        }
        case SCAN_COMMENT:  /* until "-->" */
            if (c == '-') m->run++;
            else { if (c == '>' && m->run >= 2) m->state = SCAN_TEXT; m->run = 0; }
            break;
        case SCAN_CDATA:    /* until "]]>" */
            if (c == ']') m->run++;
            else { if (c == '>' && m->run >= 2) m->state = SCAN_TEXT; m->run = 0; }
            break;
        case SCAN_PI:       /* until "?>" */
            if (c == '>' && m->run) m->state = SCAN_TEXT;
            m->run = c == '?';
            break;
        case SCAN_DECL:     /* end tags and declarations: until '>' (internal subsets go back to text) */
            if (c == '>' || c == '[') m->state = SCAN_TEXT;
            break;
        }
    }
    return 1;
}

/* Entity references: declared internal entities are replayed through on_chars (nothing builds
 * a tree); undeclared or external ones produce no text. Nothing to do here. */
static void on_reference(void *ctx, const xmlChar *name) {
    (void)ctx; (void)name;
}

/* Entity lookup. Undeclared entities (KDE DocBook chapters use &kappname; and friends from a DTD
 * that is never loaded, often with no DOCTYPE at all) are not fatal: they resolve to an empty
 * internal entity, created once per name in the document's internal subset and marked with
 * _private = x so that every reference is counted. */
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name) {
    xmlParserCtxtPtr ctxt = (xmlParserCtxtPtr)ctx;
    struct cxml_extractor *x = ext(ctx);
    xmlEntityPtr ent = xmlSAX2GetEntity(ctx, name);
    if (!ent && !ctxt->inSubset && x->ctxt->myDoc) {
        /* always the outer document: an entity's replacement text is parsed in a child context */
        xmlDocPtr doc = x->ctxt->myDoc;
        if (doc->intSubset) ent = xmlGetDocEntity(doc, name);
        if (!ent) {
            if (!doc->intSubset) xmlCreateIntSubset(doc, (const xmlChar *)"undeclared", NULL, NULL);
            ent = xmlAddDocEntity(doc, name, XML_INTERNAL_GENERAL_ENTITY, NULL, NULL, (const xmlChar *)"");
            if (ent) ent->_private = x;
            if (ent && !x->first_undefined[0]) snprintf(x->first_undefined, sizeof x->first_undefined, "%s", (const char *)name);
        }
    }
    if (ent && ent->_private == x) x->undefined_entities++;
    /* A declared external entity is never loaded (refuse_loader): its text is missing, as an
     * undeclared one's is, and the caller says so. */
    if (ent && ent->_private != x && !ctxt->inSubset &&
        (ent->etype == XML_EXTERNAL_GENERAL_PARSED_ENTITY || ent->etype == XML_EXTERNAL_GENERAL_UNPARSED_ENTITY)) {
        if (!x->first_external[0]) snprintf(x->first_external, sizeof x->first_external, "%s", (const char *)name);
        x->external_entities++;
    }
    return ent;
}

static void on_error(void *ctx, xmlErrorPtr err) {
    struct cxml_extractor *x = ext(ctx);
    if (err->level != XML_ERR_FATAL) {
        x->warnings++;
        return;
    }
    if (x->failed) return;
    x->failed = 1;
    x->err_code = err->code;
    if (x->ctxt && (xmlParserCtxtPtr)ctx != x->ctxt && x->ctxt->input) {
        /* raised while parsing an entity's replacement text: report where the document
         * references it, not a position inside the entity */
        x->err_line = x->ctxt->input->line;
        x->err_col = x->ctxt->input->col;
    } else {
        x->err_line = err->line;
        x->err_col = err->int2;
    }
    const char *m = err->message ? err->message : "unknown XML error";
    snprintf(x->err_msg, sizeof x->err_msg, "%s", m);
    size_t n = strlen(x->err_msg);
    while (n > 0 && (x->err_msg[n - 1] == '\n' || x->err_msg[n - 1] == ' ')) x->err_msg[--n] = 0;
    if (x->ctxt) xmlStopParser(x->ctxt);
}

/* No external entity, DTD or XInclude is ever loaded, whatever the options say. */
static xmlParserInputPtr refuse_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt) {
    (void)url; (void)id; (void)ctxt;
    return NULL;
}

static xmlParserInputPtr refuse_resolve(void *ctx, const xmlChar *public_id, const xmlChar *system_id) {
    (void)ctx; (void)public_id; (void)system_id;
    return NULL;
}

/* ------------------------------------------------------------------ API */

static char *dup_str(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

cxml_extractor *cxml_open(const char *const *include, int32_t n_include,
                          const char *const *exclude, int32_t n_exclude,
                          const char *file_name) {
    struct cxml_extractor *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    x->include = calloc((size_t)n_include + 1, sizeof(char *));
    x->exclude = calloc((size_t)n_exclude + 1, sizeof(char *));
    x->inc = calloc((size_t)n_include + 1, sizeof(xmlChar *));
    x->exc = calloc((size_t)n_exclude + 1, sizeof(xmlChar *));
    x->file_name = dup_str(file_name ? file_name : "");
    if (!x->include || !x->exclude || !x->inc || !x->exc || !x->file_name) { cxml_close(x); return NULL; }
    for (int32_t i = 0; i < n_include; i++) {
        if (!(x->include[i] = dup_str(include[i]))) { cxml_close(x); return NULL; }
        x->n_include++;
    }
    for (int32_t i = 0; i < n_exclude; i++) {
        if (!(x->exclude[i] = dup_str(exclude[i]))) { cxml_close(x); return NULL; }
        x->n_exclude++;
    }

    xmlInitParser();
    xmlSetExternalEntityLoader(refuse_loader);
    /* Stock SAX2 handlers keep the DTD bookkeeping (internal entities, standalone checks)
     * working; they need user_data == ctxt, so our state hangs off ctxt->_private. */
    xmlSAXVersion(&x->sax, 2);
    x->sax.startElementNs = on_start;
    x->sax.endElementNs = on_end;
    x->sax.characters = on_chars;
    x->sax.ignorableWhitespace = on_chars;
    x->sax.cdataBlock = on_chars;
    x->sax.reference = on_reference;
    x->sax.getEntity = on_get_entity;
    x->sax.serror = on_error;
    x->sax.resolveEntity = refuse_resolve;
    x->sax.externalSubset = NULL;
    x->sax.comment = NULL;
    x->sax.processingInstruction = NULL;
    x->sax.startElement = NULL;
    x->sax.endElement = NULL;
    return x;
}

void cxml_close(cxml_extractor *x) {
    if (!x) return;
    if (x->ctxt) {
        if (x->ctxt->myDoc) xmlFreeDoc(x->ctxt->myDoc);
        x->ctxt->myDoc = NULL;
        xmlFreeParserCtxt(x->ctxt);
    }
    if (x->include) for (int32_t i = 0; i < x->n_include; i++) free(x->include[i]);
    if (x->exclude) for (int32_t i = 0; i < x->n_exclude; i++) free(x->exclude[i]);
    free(x->include); free(x->exclude); free(x->inc); free(x->exc);
    free(x->file_name); free(x->kinds);
    free(x);
}

static int create_ctxt(struct cxml_extractor *x) {
    creating = x;
    x->ctxt = xmlCreatePushParserCtxt(&x->sax, NULL, (const char *)x->head, x->n_head, x->file_name);
    creating = NULL;
    if (!x->ctxt) {
        if (!x->failed) snprintf(x->err_msg, sizeof x->err_msg, "cannot create the XML parser (out of memory?)");
        x->failed = 1;
        return 0;
    }
    x->ctxt->_private = x;
    /* Never NOENT (would expand external entities), DTDLOAD or HUGE (disables the
     * entity amplification guard). */
    xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
    for (int32_t i = 0; i < x->n_include; i++)
        x->inc[i] = xmlDictLookup(x->ctxt->dict, (const xmlChar *)x->include[i], -1);
    for (int32_t i = 0; i < x->n_exclude; i++)
        x->exc[i] = xmlDictLookup(x->ctxt->dict, (const xmlChar *)x->exclude[i], -1);
    x->sid = xmlDictLookup(x->ctxt->dict, (const xmlChar *)"sID", -1);
    x->eid = xmlDictLookup(x->ctxt->dict, (const xmlChar *)"eID", -1);
    return 1;
}

int32_t cxml_feed(cxml_extractor *x, const uint8_t *bytes, int64_t length, int32_t terminate,
                  void *sink, cxml_text_fn on_text, cxml_record_fn on_record) {
    if (x->failed) return -1;
    x->sink = sink; x->on_text = on_text; x->on_record = on_record;
    if (!x->ctxt) {
        /* xmlCreatePushParserCtxt detects the encoding (BOM, UTF-16) from the first 4 bytes. */
        while (x->n_head < 4 && length > 0) { x->head[x->n_head++] = *bytes++; length--; }
        if (x->n_head < 4 && !terminate) return 0;
        if (!create_ctxt(x)) return -1;
    }
    if (x->fed == 0 && x->n_head >= 2 && (x->head[0] == 0 || x->head[1] == 0 || x->head[0] >= 0xfe))
        x->scan.state = SCAN_OFF;   /* UTF-16/32 (BOM or NUL bytes): the byte lexer does not apply */
    while (length > 0 && !x->failed) {
        /* small pieces: libxml2 halts with "Huge input lookup" once more than 10 MB
         * (XML_MAX_LOOKUP_LIMIT) sit unparsed in its buffer, and we never set XML_PARSE_HUGE */
        int n = length > (1 << 20) ? (1 << 20) : (int)length;
        if (x->fed == 0 && !scan_markup(x, x->head, x->n_head)) break;
        if (!scan_markup(x, bytes, n)) break;
        x->fed += n + (x->fed == 0 ? x->n_head : 0);
        xmlParseChunk(x->ctxt, (const char *)bytes, n, 0);
        bytes += n; length -= n;
    }
    if (x->failed && x->err_code == XML_ERR_INTERNAL_ERROR && strstr(x->err_msg, "Huge input lookup")) {
        /* libxml2 2.9 names its 10 MB item limit (without XML_PARSE_HUGE) as an internal error;
         * inside a start tag, report the tag's line rather than where the parser gave up. */
        if (x->scan.state == SCAN_TAG || x->scan.state == SCAN_QUOTE) { x->err_line = x->scan.line; x->err_col = 0; }
        snprintf(x->err_msg, sizeof x->err_msg, "%s longer than 10,000,000 bytes, libxml2's limit for one item; "
                 "split it or leave the file out", x->scan.state == SCAN_QUOTE ? "an attribute value" : "a name, text run or tag");
        x->err_code = -1;
    }
    if (terminate && !x->failed) {
        xmlParseChunk(x->ctxt, NULL, 0, 1);
        if (x->failed && x->err_code == XML_ERR_DOCUMENT_END) {
            /* libxml2 2.9 says "Extra content at the end of the document" when the input simply
             * ends too early; say what is actually wrong. */
            if (x->ctxt->nameNr > 0 && x->ctxt->name)
                snprintf(x->err_msg, sizeof x->err_msg,
                         "Premature end of data: element '%s' is not closed (%d element(s) still open)",
                         (const char *)x->ctxt->name, x->ctxt->nameNr);
            else if (!x->seen_element)
                snprintf(x->err_msg, sizeof x->err_msg, "Document is empty: no root element");
        }
        if (!x->failed && x->milestones > 0) {
            /* a milestone range without its eID: keep its text as a record */
            if (!x->first_unclosed[0])
                snprintf(x->first_unclosed, sizeof x->first_unclosed, "%s", (const char *)x->milestone_names[0]);
            x->unclosed_milestones += x->milestones;
            x->milestones = 0;
            x->selected = 0;
            record_end(x);
        }
    }
    if (!x->failed && !x->ctxt->wellFormed) {
        /* defensive: libxml2 flagged an error that did not reach on_error */
        x->failed = 1;
        x->err_line = xmlSAX2GetLineNumber(x->ctxt);
        x->err_col = xmlSAX2GetColumnNumber(x->ctxt);
        snprintf(x->err_msg, sizeof x->err_msg, "malformed XML");
    }
    flush(x);
    x->sink = NULL;
    return x->failed ? -1 : 0;
}

int64_t cxml_error_line(const cxml_extractor *x) { return x->err_line; }
int64_t cxml_error_column(const cxml_extractor *x) { return x->err_col; }
const char *cxml_error_message(const cxml_extractor *x) { return x->err_msg; }
int32_t cxml_error_is_limit(const cxml_extractor *x) { return x->failed && x->err_code == -1; }
int64_t cxml_undefined_entity_count(const cxml_extractor *x) { return x->undefined_entities; }
int64_t cxml_warning_count(const cxml_extractor *x) { return x->warnings; }
const char *cxml_first_undefined_entity(const cxml_extractor *x) { return x->first_undefined; }
int64_t cxml_external_entity_count(const cxml_extractor *x) { return x->external_entities; }
const char *cxml_first_external_entity(const cxml_extractor *x) { return x->first_external; }
int64_t cxml_unclosed_milestone_count(const cxml_extractor *x) { return x->unclosed_milestones; }
const char *cxml_first_unclosed_milestone(const cxml_extractor *x) { return x->first_unclosed; }
int64_t cxml_selected_count(const cxml_extractor *x) { return x->selected_seen; }

int32_t cxml_seen_elements(const cxml_extractor *x, char *out, int32_t capacity) {
    int32_t n = 0;
    if (capacity <= 0) return 0;
    out[0] = 0;
    for (int32_t i = 0; i < x->n_seen; i++) {
        int w = snprintf(out + n, (size_t)(capacity - n), "%s%s", i ? ", " : "", (const char *)x->seen[i]);
        if (w < 0 || w >= capacity - n) { out[n] = 0; return n; }
        n += w;
    }
    if (x->more_seen && n + 5 < capacity) n += snprintf(out + n, (size_t)(capacity - n), ", …");
    return n;
}
