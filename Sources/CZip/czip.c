#define _FILE_OFFSET_BITS 64
#include "czip.h"

#include <bzlib.h>
#include <zlib.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 MiB input buffer: few syscalls, and room for the magic-byte look-ahead on pipes. */
#define CZIP_INBUF (1u << 20)
/* zlib/bzip2 count in unsigned int; stay far below that per call. */
#define CZIP_MAXCHUNK (1u << 30)

struct czip_reader {
    int fd;
    int owns_fd;
    int mode;             /* CZIP_NONE / CZIP_GZIP / CZIP_BZIP2 */
    int in_stream;        /* a gzip member / bzip2 stream is open and not yet finished */
    int at_eof;           /* the descriptor reported end of file (a memory reader starts there) */
    int owns_in;          /* `in` was allocated here (not the caller's memory) */
    int failed;           /* sticky error */
    int64_t raw_total;    /* bytes read from the descriptor */
    int64_t file_size;    /* -1 unless a regular file */
    size_t in_pos, in_len;
    unsigned char *in;
    z_stream zs;
    int zs_init;
    bz_stream bz;
    int bz_init;
    int64_t err_offset;
    char err[256];
};

static int64_t consumed(const czip_reader *r) {
    return r->raw_total - (int64_t)(r->in_len - r->in_pos);
}

static int64_t fail(czip_reader *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->err_offset = consumed(r);
    r->failed = 1;
    return -1;
}

/* Moves unread bytes to the front and reads more. Returns bytes added, 0 at EOF, -1 on error. */
static ssize_t refill(czip_reader *r) {
    if (r->at_eof) return 0;
    if (r->in_pos > 0) {
        memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
        r->in_len -= r->in_pos;
        r->in_pos = 0;
    }
    if (r->in_len == CZIP_INBUF) return 1; /* buffer full: the caller still has unread data */
    for (;;) {
        ssize_t n = read(r->fd, r->in + r->in_len, CZIP_INBUF - r->in_len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { fail(r, "read error: %s", strerror(errno)); return -1; }
        if (n == 0) r->at_eof = 1;
        r->in_len += (size_t)n;
        r->raw_total += n;
        return n;
    }
}

/* Ensures at least `need` unread bytes unless EOF comes first. Returns 0 or -1 (read error). */
static int lookahead(czip_reader *r, size_t need) {
    while (r->in_len - r->in_pos < need && !r->at_eof) {
        if (refill(r) < 0) return -1;
    }
    return 0;
}

static int is_gzip(const czip_reader *r) {
    return r->in_len - r->in_pos >= 2 && r->in[r->in_pos] == 0x1f && r->in[r->in_pos + 1] == 0x8b;
}

static int is_bzip2(const czip_reader *r) {
    return r->in_len - r->in_pos >= 3 && r->in[r->in_pos] == 'B' && r->in[r->in_pos + 1] == 'Z' &&
           r->in[r->in_pos + 2] == 'h';
}

static czip_reader *make(int fd, int owns, int *errnum) {
    struct stat st;
    if (fstat(fd, &st) != 0) { *errnum = errno; return NULL; }
    if (S_ISDIR(st.st_mode)) { *errnum = EISDIR; return NULL; }
    czip_reader *r = calloc(1, sizeof *r);
    if (!r) { *errnum = ENOMEM; return NULL; }
    r->in = malloc(CZIP_INBUF);
    if (!r->in) { free(r); *errnum = ENOMEM; return NULL; }
    r->owns_in = 1;
    r->fd = fd;
    r->owns_fd = owns;
    r->file_size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    if (lookahead(r, 3) != 0) {
        *errnum = EIO;
        free(r->in);
        free(r);
        return NULL;
    }
    r->mode = is_gzip(r) ? CZIP_GZIP : is_bzip2(r) ? CZIP_BZIP2 : CZIP_NONE;
    *errnum = 0;
    return r;
}

czip_reader *czip_open_path(const char *path, int *errnum) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) { *errnum = errno; return NULL; }
    czip_reader *r = make(fd, 1, errnum);
    if (!r) close(fd);
    return r;
}

czip_reader *czip_open_fd(int fd, int *errnum) { return make(fd, 0, errnum); }

/* The whole input is already "read": `in` is the caller's buffer and at_eof is set, so refill
 * returns 0 before it would move bytes and nothing ever writes through `in`. */
czip_reader *czip_open_memory(const void *data, size_t len, int *errnum) {
    czip_reader *r = calloc(1, sizeof *r);
    if (!r) { *errnum = ENOMEM; return NULL; }
    static const unsigned char empty[1];
    r->in = (unsigned char *)(len > 0 ? data : empty);
    r->fd = -1;
    r->in_len = len;
    r->raw_total = (int64_t)len;
    r->file_size = (int64_t)len;
    r->at_eof = 1;
    r->mode = is_gzip(r) ? CZIP_GZIP : is_bzip2(r) ? CZIP_BZIP2 : CZIP_NONE;
    *errnum = 0;
    return r;
}

int czip_compression(const czip_reader *r) { return r->mode; }
const char *czip_error_message(const czip_reader *r) { return r->err; }
int64_t czip_error_offset(const czip_reader *r) { return r->err_offset; }
int64_t czip_consumed(const czip_reader *r) { return consumed(r); }
int64_t czip_file_size(const czip_reader *r) { return r->file_size; }

void czip_close(czip_reader *r) {
    if (!r) return;
    if (r->zs_init) inflateEnd(&r->zs);
    if (r->bz_init) BZ2_bzDecompressEnd(&r->bz);
    if (r->owns_fd) close(r->fd);
    if (r->owns_in) free(r->in);
    free(r);
}

static int64_t read_plain(czip_reader *r, unsigned char *buf, size_t cap) {
    size_t avail = r->in_len - r->in_pos;
    if (avail > 0) {
        size_t n = avail < cap ? avail : cap;
        memcpy(buf, r->in + r->in_pos, n);
        r->in_pos += n;
        return (int64_t)n;
    }
    if (r->at_eof) return 0;
    for (;;) { /* large reads go straight into the caller's buffer */
        ssize_t n = read(r->fd, buf, cap);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(r, "read error: %s", strerror(errno));
        if (n == 0) r->at_eof = 1;
        r->raw_total += n;
        return n;
    }
}

/* Called between members/streams: decides whether another one follows. Returns 1 (start
 * another), 0 (clean end), -1 (error). */
static int next_member(czip_reader *r) {
    if (lookahead(r, 3) != 0) return -1;
    if (r->in_len == r->in_pos) return 0;
    if (r->mode == CZIP_GZIP ? is_gzip(r) : is_bzip2(r)) return 1;
    /* Trailing zero padding (tape blocks, some tools) is harmless; anything else is not. */
    for (;;) {
        while (r->in_pos < r->in_len && r->in[r->in_pos] == 0) r->in_pos++;
        if (r->in_pos < r->in_len) break;
        ssize_t n = refill(r);
        if (n < 0) return -1;
        if (n == 0) return 0;
    }
    fail(r, "trailing garbage after the last %s stream", r->mode == CZIP_GZIP ? "gzip" : "bzip2");
    return -1;
}

/* A decoder of gzip members or bzip2 streams, driven by `read_compressed`. */
typedef struct {
    const char *name;    /* "gzip", "bzip2" */
    const char *unit;    /* what a truncated input ends inside: "member", "stream" */
    /* Starts decoding a member/stream at r->in_pos. Returns 0, or -1 after `fail`. */
    int (*begin)(czip_reader *r);
    /* Decodes from r->in[in_pos..in_len) into buf, advancing in_pos; sets *produced, and clears
     * in_stream at the member's/stream's end. Returns 0, or -1 after `fail`. */
    int (*step)(czip_reader *r, unsigned char *buf, size_t cap, size_t *produced);
} decoder;

static int gzip_begin(czip_reader *r) {
    if (!r->zs_init) {
        memset(&r->zs, 0, sizeof r->zs);
        if (inflateInit2(&r->zs, 15 + 16) != Z_OK) return (int)fail(r, "zlib initialisation failed");
        r->zs_init = 1;
    } else if (inflateReset(&r->zs) != Z_OK) {
        return (int)fail(r, "zlib reset failed");
    }
    return 0;
}

static int gzip_step(czip_reader *r, unsigned char *buf, size_t cap, size_t *produced) {
    r->zs.next_in = r->in + r->in_pos;
    r->zs.avail_in = (uInt)(r->in_len - r->in_pos);
    r->zs.next_out = buf;
    r->zs.avail_out = (uInt)cap;
    int rc = inflate(&r->zs, Z_NO_FLUSH);
    r->in_pos = r->in_len - r->zs.avail_in;
    *produced = cap - r->zs.avail_out;
    if (rc == Z_STREAM_END) {
        r->in_stream = 0;
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return (int)fail(r, "corrupt gzip data (%s)", r->zs.msg ? r->zs.msg : zError(rc));
    }
    return 0;
}

static int bzip2_begin(czip_reader *r) {
    memset(&r->bz, 0, sizeof r->bz);
    if (BZ2_bzDecompressInit(&r->bz, 0, 0) != BZ_OK) return (int)fail(r, "bzip2 initialisation failed");
    r->bz_init = 1;
    return 0;
}

static int bzip2_step(czip_reader *r, unsigned char *buf, size_t cap, size_t *produced) {
    r->bz.next_in = (char *)(r->in + r->in_pos);
    r->bz.avail_in = (unsigned)(r->in_len - r->in_pos);
    r->bz.next_out = (char *)buf;
    r->bz.avail_out = (unsigned)cap;
    int rc = BZ2_bzDecompress(&r->bz);
    r->in_pos = r->in_len - r->bz.avail_in;
    *produced = cap - r->bz.avail_out;
    if (rc == BZ_STREAM_END) {
        BZ2_bzDecompressEnd(&r->bz);
        r->bz_init = 0;
        r->in_stream = 0;
    } else if (rc != BZ_OK) {
        const char *what = rc == BZ_DATA_ERROR ? "data integrity error"
                         : rc == BZ_DATA_ERROR_MAGIC ? "bad stream header"
                         : rc == BZ_MEM_ERROR ? "out of memory" : "internal error";
        return (int)fail(r, "corrupt bzip2 data (%s)", what);
    }
    return 0;
}

static const decoder gzip_decoder = { "gzip", "member", gzip_begin, gzip_step };
static const decoder bzip2_decoder = { "bzip2", "stream", bzip2_begin, bzip2_step };

/* One loop for both formats: start each member/stream, feed input, return once output exists. */
static int64_t read_compressed(czip_reader *r, const decoder *d, unsigned char *buf, size_t cap) {
    if (cap > CZIP_MAXCHUNK) cap = CZIP_MAXCHUNK;
    for (;;) {
        if (!r->in_stream) {
            int more = next_member(r);
            if (more <= 0) return more;
            if (d->begin(r) != 0) return -1;
            r->in_stream = 1;
        }
        if (r->in_pos == r->in_len) {
            ssize_t n = refill(r);
            if (n < 0) return -1;
            if (n == 0) return fail(r, "truncated %s stream (input ends inside a %s)", d->name, d->unit);
        }
        size_t produced = 0;
        if (d->step(r, buf, cap, &produced) != 0) return -1;
        if (produced > 0) return (int64_t)produced;
    }
}

int64_t czip_read(czip_reader *r, void *buf, size_t cap) {
    if (r->failed) return -1;
    if (cap == 0) return 0;
    switch (r->mode) {
    case CZIP_GZIP: return read_compressed(r, &gzip_decoder, buf, cap);
    case CZIP_BZIP2: return read_compressed(r, &bzip2_decoder, buf, cap);
    default: return read_plain(r, buf, cap);
    }
}

int czip_inflate_raw(const void *src, size_t src_len, void *dst, size_t dst_len,
                     char *err, size_t err_len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -15) != Z_OK) {
        snprintf(err, err_len, "zlib initialisation failed");
        return -1;
    }
    const unsigned char *in = src;
    unsigned char *out = dst;
    size_t in_left = src_len, out_left = dst_len;
    int rc = Z_OK;
    while (rc == Z_OK) {
        uInt ai = (uInt)(in_left < CZIP_MAXCHUNK ? in_left : CZIP_MAXCHUNK);
        uInt ao = (uInt)(out_left < CZIP_MAXCHUNK ? out_left : CZIP_MAXCHUNK);
        zs.next_in = (unsigned char *)in;
        zs.avail_in = ai;
        zs.next_out = out;
        zs.avail_out = ao;
        rc = inflate(&zs, Z_NO_FLUSH);
        in += ai - zs.avail_in;
        in_left -= ai - zs.avail_in;
        out += ao - zs.avail_out;
        out_left -= ao - zs.avail_out;
        if (rc == Z_BUF_ERROR && in_left > 0 && out_left > 0) rc = Z_OK; /* chunk boundary */
        if (rc == Z_OK && ai == zs.avail_in && ao == zs.avail_out) rc = Z_BUF_ERROR; /* no progress */
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        if (rc == Z_BUF_ERROR)
            snprintf(err, err_len, out_left == 0 ? "deflate data longer than the declared size"
                                                 : "deflate data truncated");
        else
            snprintf(err, err_len, "corrupt deflate data (%s)", zs.msg ? zs.msg : zError(rc));
        return -1;
    }
    if (out_left != 0) {
        snprintf(err, err_len, "deflate data shorter than the declared size (%zu bytes missing)", out_left);
        return -1;
    }
    return 0;
}

uint32_t czip_crc32(uint32_t crc, const void *buf, size_t len) {
    const unsigned char *p = buf;
    uLong c = crc;
    while (len > 0) {
        uInt n = (uInt)(len < CZIP_MAXCHUNK ? len : CZIP_MAXCHUNK);
        c = crc32(c, p, n);
        p += n;
        len -= n;
    }
    return (uint32_t)c;
}

void *czip_deflate_raw(const void *a, size_t alen, const void *b, size_t blen, int level, size_t *out_len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return NULL;
    size_t cap = (alen + blen) / 16 + 65536, used = 0;
    unsigned char *out = malloc(cap);
    if (!out) { deflateEnd(&zs); return NULL; }
    const unsigned char *parts[2] = { a, b };
    const size_t lens[2] = { alen, blen };
    for (int p = 0; p < 2; p++) {
        const unsigned char *in = parts[p];
        size_t left = lens[p];
        for (;;) {
            const uInt ai = (uInt)(left < CZIP_MAXCHUNK ? left : CZIP_MAXCHUNK);
            const int flush = (p == 1 && ai == left) ? Z_FINISH : Z_NO_FLUSH;
            zs.next_in = (Bytef *)in;
            zs.avail_in = ai;
            for (;;) {
                if (used == cap) {
                    unsigned char *grown = realloc(out, cap * 2);
                    if (!grown) { free(out); deflateEnd(&zs); return NULL; }
                    out = grown; cap *= 2;
                }
                const size_t room = cap - used;
                const uInt ao = (uInt)(room < CZIP_MAXCHUNK ? room : CZIP_MAXCHUNK);
                zs.next_out = out + used;
                zs.avail_out = ao;
                const int rc = deflate(&zs, flush);
                if (rc == Z_STREAM_ERROR) { free(out); deflateEnd(&zs); return NULL; }
                used += ao - zs.avail_out;
                if (flush == Z_FINISH ? rc == Z_STREAM_END : (zs.avail_in == 0 && zs.avail_out != 0)) break;
            }
            in += ai;
            left -= ai;
            if (flush == Z_FINISH || left == 0) break;
        }
    }
    deflateEnd(&zs);
    *out_len = used;
    return out;
}

void czip_free(void *p) { free(p); }
