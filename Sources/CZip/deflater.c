/* Streaming raw deflate (see czip.h). */
#include "czip.h"

#include <zlib.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

struct czip_deflater {
    z_stream zs;
    unsigned char *out;
    size_t used, cap;
    int failed;
};

czip_deflater *czip_deflater_new(int level) {
    czip_deflater *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    if (deflateInit2(&d->zs, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) { free(d); return NULL; }
    d->cap = 1 << 16;
    d->out = malloc(d->cap);
    if (!d->out) { deflateEnd(&d->zs); free(d); return NULL; }
    return d;
}

int czip_deflater_feed(czip_deflater *d, const void *in, size_t len, int finish) {
    if (d->failed) return -1;
    const unsigned char *p = in;
    for (;;) {
        const uInt chunk = (uInt)(len < (1u << 30) ? len : (1u << 30));
        const int flush = (finish && chunk == len) ? Z_FINISH : Z_NO_FLUSH;
        d->zs.next_in = (Bytef *)p;
        d->zs.avail_in = chunk;
        for (;;) {
            if (d->used == d->cap) {
                unsigned char *grown = realloc(d->out, d->cap * 2);
                if (!grown) { d->failed = 1; return -1; }
                d->out = grown; d->cap *= 2;
            }
            const size_t room = d->cap - d->used;
            const uInt ao = (uInt)(room < (1u << 30) ? room : (1u << 30));
            d->zs.next_out = d->out + d->used;
            d->zs.avail_out = ao;
            const int rc = deflate(&d->zs, flush);
            if (rc == Z_STREAM_ERROR) { d->failed = 1; return -1; }
            d->used += ao - d->zs.avail_out;
            if (flush == Z_FINISH ? rc == Z_STREAM_END : (d->zs.avail_in == 0 && d->zs.avail_out != 0)) break;
        }
        p += chunk;
        len -= chunk;
        if (len == 0) return 0;
    }
}

const void *czip_deflater_output(const czip_deflater *d, size_t *len) {
    *len = d->used;
    return d->out;
}

void czip_deflater_free(czip_deflater *d) {
    if (!d) return;
    deflateEnd(&d->zs);
    free(d->out);
    free(d);
}

struct czip_inflater {
    z_stream zs;
    const unsigned char *src;
    size_t left;
    int done;
};

czip_inflater *czip_inflater_new(const void *src, size_t src_len) {
    czip_inflater *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    if (inflateInit2(&f->zs, -15) != Z_OK) { free(f); return NULL; }
    f->src = src;
    f->left = src_len;
    return f;
}

long czip_inflater_read(czip_inflater *f, void *dst, size_t dst_len, char *err, size_t err_len) {
    if (f->done || dst_len == 0) return 0;
    const uInt room = (uInt)(dst_len < (1u << 30) ? dst_len : (1u << 30));
    f->zs.next_out = dst;
    f->zs.avail_out = room;
    while (f->zs.avail_out > 0) {
        if (f->zs.avail_in == 0 && f->left > 0) {
            const uInt chunk = (uInt)(f->left < (1u << 30) ? f->left : (1u << 30));
            f->zs.next_in = (Bytef *)f->src;
            f->zs.avail_in = chunk;
            f->src += chunk;
            f->left -= chunk;
        }
        const int rc = inflate(&f->zs, Z_NO_FLUSH);
        if (rc == Z_STREAM_END) { f->done = 1; break; }
        if (rc != Z_OK) {
            snprintf(err, err_len, "corrupt deflate data (%s)", f->zs.msg ? f->zs.msg : "zlib error");
            return -1;
        }
        if (f->zs.avail_in == 0 && f->left == 0 && f->zs.avail_out > 0) {
            snprintf(err, err_len, "truncated deflate data");
            return -1;
        }
    }
    return (long)(room - f->zs.avail_out);
}

void czip_inflater_free(czip_inflater *f) {
    if (!f) return;
    inflateEnd(&f->zs);
    free(f);
}
