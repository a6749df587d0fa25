/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_cache: chain results remembered, so that a chain is verified at most
 * once per connection and trust store, and once per process for the few
 * certificates Cloudflare presents on many connections.
 *
 * cfaop_results is a small table (trust store, leaf SHA-256) -> result with
 * round-robin replacement; a success is found only until the verified
 * chain's earliest notAfter. Each connection holds one (cfaop_ssl.c).
 *
 * cfaop_cache is the per-process table, behind a lock, in the configuration
 * pool: a graceful restart brings new stores and an empty cache, so a changed
 * policy always applies. It keeps only successes that needed no intermediate
 * from the client: a resumed session carries no chain, and must not pass in
 * one process and fail in another. This spares the verification on full
 * handshakes and resumed sessions (which mod_ssl skips too, trusting the
 * result stored in the session).
 */
#ifndef CFAOP_CACHE_H
#define CFAOP_CACHE_H

#include "httpd.h"

#include "aop_policy.h"

typedef struct cfaop_results cfaop_results;

cfaop_results *cfaop_results_make(apr_pool_t *p, int capacity);
/* The result for (store, leaf), NULL when none or an expired success. */
const aop_chain_result *cfaop_results_find(const cfaop_results *t, const X509_STORE *store,
                                           const unsigned char leaf_sha256[AOP_SHA256_LEN],
                                           time_t now);
/* Records a result, replacing an older one for the same key. */
void cfaop_results_put(cfaop_results *t, const X509_STORE *store,
                       const unsigned char leaf_sha256[AOP_SHA256_LEN],
                       const aop_chain_result *res);
void cfaop_results_clear(cfaop_results *t);

typedef struct cfaop_cache cfaop_cache;

cfaop_cache *cfaop_cache_create(apr_pool_t *pconf);
/* 1 and *out when this process verified `leaf_sha256` against `store`. */
int cfaop_cache_get(cfaop_cache *cache, const X509_STORE *store,
                    const unsigned char leaf_sha256[AOP_SHA256_LEN], time_t now,
                    aop_chain_result *out);
/* Remembers `res` when it is a success that needs no peer chain. */
void cfaop_cache_put(cfaop_cache *cache, const X509_STORE *store,
                     const unsigned char leaf_sha256[AOP_SHA256_LEN],
                     const aop_chain_result *res);

#endif /* CFAOP_CACHE_H */
