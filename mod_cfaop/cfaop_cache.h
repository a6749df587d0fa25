/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_cache: which leaf certificates this server process has already
 * verified, successfully, against which trust store. Cloudflare presents a
 * handful of certificates on many connections; remembering the outcome
 * spares the chain verification on every full handshake and every resumed
 * session (which mod_ssl also skips, trusting the session's stored result).
 *
 * Lives in the configuration pool: a graceful restart brings new stores and
 * an empty cache, so a changed policy is always applied. Only successes are
 * kept, each until the verified chain's earliest notAfter, and only those
 * that did not need intermediates the client sent: a resumed session carries
 * no chain, and must not pass in one process and fail in another.
 */
#ifndef CFAOP_CACHE_H
#define CFAOP_CACHE_H

#include "httpd.h"

#include "aop_policy.h"

typedef struct cfaop_cache cfaop_cache;

cfaop_cache *cfaop_cache_create(apr_pool_t *pconf);

/* 1 and *out when `leaf_sha256` verified against `store` and still holds. */
int cfaop_cache_get(cfaop_cache *cache, const X509_STORE *store,
                    const unsigned char leaf_sha256[AOP_SHA256_LEN], time_t now,
                    aop_chain_result *out);

/* Remembers `res` when it is a success that needs no peer chain. */
void cfaop_cache_put(cfaop_cache *cache, const X509_STORE *store,
                     const unsigned char leaf_sha256[AOP_SHA256_LEN],
                     const aop_chain_result *res);

#endif /* CFAOP_CACHE_H */
