/* Streaming raw deflate (see czip.h). */
#include "czip.h"

#include <zlib.h>
#include <stdlib.h>
#include <string.h>

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
