#ifndef QUOTAD_CHIREDIS_SHIM_H
#define QUOTAD_CHIREDIS_SHIM_H

// SwiftPM drops hiredis.pc's -D_FILE_OFFSET_BITS=64; define it before any system header.
#ifndef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#endif

#include <hiredis/hiredis.h>
#include <sys/time.h>

/// Builds a `struct timeval` from milliseconds (the C struct's field types differ per platform).
static inline struct timeval chiredis_timeval_ms(long long ms) {
    struct timeval tv;
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
    return tv;
}

/// The context's error code (`REDIS_ERR_*`), or 0.
static inline int chiredis_context_err(const redisContext *c) { return c->err; }

/// The context's error text (hiredis keeps it in a fixed-size buffer).
static inline const char *chiredis_context_errstr(const redisContext *c) { return c->errstr; }

/// The context's socket descriptor.
static inline int chiredis_context_fd(const redisContext *c) { return c->fd; }

/// Bytes written into the output buffer that were not yet sent.
static inline size_t chiredis_context_pending_output(const redisContext *c) {
    return c->obuf == NULL ? 0 : sdslen(c->obuf);
}

#endif
