/* czip: streaming decompression (plain / gzip / bzip2, detected by magic bytes), raw deflate
 * and inflate, and CRC-32 for Swift. Opaque handles only: this header deliberately includes neither
 * zlib.h nor bzlib.h so Swift modules never see those libraries' types. */
#ifndef CZIP_H
#define CZIP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Compression detected from the first bytes of the input. */
enum { CZIP_NONE = 0, CZIP_GZIP = 1, CZIP_BZIP2 = 2 };

/* A streaming reader. Not thread-safe; one reader per thread. */
typedef struct czip_reader czip_reader;

/* Opens `path` read-only. Returns NULL and stores an errno value in *errnum on failure
 * (a directory gives EISDIR). */
czip_reader *czip_open_path(const char *path, int *errnum);

/* Wraps an open descriptor (e.g. 0 for stdin). The reader does not close descriptors it did not
 * open. Returns NULL and stores an errno value in *errnum on failure. */
czip_reader *czip_open_fd(int fd, int *errnum);

/* Reads `len` bytes at `data` (kept unchanged by the caller until czip_close): the same decoding
 * as a file holding them, without a descriptor. Returns NULL (ENOMEM in *errnum) on failure. */
czip_reader *czip_open_memory(const void *data, size_t len, int *errnum);

/* CZIP_NONE, CZIP_GZIP or CZIP_BZIP2. */
int czip_compression(const czip_reader *r);

/* Reads up to `cap` decompressed bytes into `buf`. Returns the count (> 0), 0 at the end of the
 * input, or -1 on error (see czip_error_message / czip_error_offset). Multi-member gzip and
 * multi-stream bzip2 inputs are decoded as one concatenated stream. */
int64_t czip_read(czip_reader *r, void *buf, size_t cap);

/* One-line description of the last error, or "" if none. Valid until the reader is closed. */
const char *czip_error_message(const czip_reader *r);

/* Compressed-input byte offset at which the last error was detected. */
int64_t czip_error_offset(const czip_reader *r);

/* Bytes of (compressed) input consumed so far, for progress reporting. */
int64_t czip_consumed(const czip_reader *r);

/* Size of the underlying file if it is a regular file, else -1. */
int64_t czip_file_size(const czip_reader *r);

/* Closes the reader (and the descriptor if czip_open_path opened it). NULL is allowed. */
void czip_close(czip_reader *r);

/* Inflates raw deflate data (no zlib/gzip header, as in ZIP members) of exactly `dst_len`
 * decompressed bytes. Returns 0 on success, -1 on error with a message in `err`. */
int czip_inflate_raw(const void *src, size_t src_len, void *dst, size_t dst_len,
                     char *err, size_t err_len);

/* Raw deflate (as in ZIP members) of the bytes of `a` followed by those of `b`, at zlib `level`.
 * Returns a buffer of *out_len bytes to release with czip_free, or NULL when out of memory.
 * Deterministic for a given zlib version and level. */
void *czip_deflate_raw(const void *a, size_t alen, const void *b, size_t blen, int level, size_t *out_len);

/* Streaming raw deflate, for inputs too large to hold (a padded vocabulary): feed the bytes in
 * any number of calls (finish = 1 on the last); the compressed bytes accumulate in memory.
 * Same bytes as czip_deflate_raw of the concatenated input at the same level. */
typedef struct czip_deflater czip_deflater;
czip_deflater *czip_deflater_new(int level);
/* Returns 0, or -1 when out of memory or on a zlib error. */
int czip_deflater_feed(czip_deflater *d, const void *in, size_t len, int finish);
/* The compressed bytes so far. */
const void *czip_deflater_output(const czip_deflater *d, size_t *len);
void czip_deflater_free(czip_deflater *d);

/* Streaming raw inflate of `src` (kept by the caller until czip_inflater_free), for members too
 * large to inflate at once. czip_inflater_read fills up to `dst_len` bytes and returns how many
 * (0 at the end of the stream), or -1 with a message in `err`. */
typedef struct czip_inflater czip_inflater;
czip_inflater *czip_inflater_new(const void *src, size_t src_len);
long czip_inflater_read(czip_inflater *f, void *dst, size_t dst_len, char *err, size_t err_len);
void czip_inflater_free(czip_inflater *f);

/* Frees a buffer returned by czip_deflate_raw. */
void czip_free(void *p);

/* Updates a CRC-32 (ZIP/gzip polynomial); start with crc = 0. */
uint32_t czip_crc32(uint32_t crc, const void *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
