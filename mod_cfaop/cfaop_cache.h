/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_cache: chain results remembered, so that a chain is verified at most
 * once per connection and trust store, and once per process for the few
 * certificates Cloudflare presents on many connections.
 *
 * A result is keyed by the trust store, the leaf's SHA-256 and the OpenSSL
 * security level it was verified at: a result obtained at a lower level never
 * answers for a higher one. A success is found only until the verified
 * chain's earliest notAfter.
 *
 * cfaop_chain_memo is a small table with round-robin replacement; every
 * connection holds one (cfaop_conn.c).
 *
 * cfaop_cache is the per-process table, behind a lock, in the configuration
 * pool: a graceful restart brings new stores and an empty cache, so a changed
 * policy always applies. It keeps only successes that needed no intermediate
 * from the client: a resumed session carries no chain, and must not pass in
 * one process and fail in another.
 *
 * It also remembers what the few certificates it sees say of themselves
 * (digests, validity, the request variables' text), keyed by their whole
 * DER: every connection brings its own copy of the same certificate, and
 * working that out costs more than the rest of a resumed handshake's part
 * in the module. Two certificates share an entry only when they are the same
 * bytes.
 */
#ifndef CFAOP_CACHE_H
#define CFAOP_CACHE_H

#include "httpd.h"

#include "aop_policy.h"

typedef struct cfaop_chain_key {
    const X509_STORE *store;
    unsigned char leaf_sha256[AOP_SHA256_LEN];
    int auth_level;
} cfaop_chain_key;

typedef struct cfaop_chain_memo cfaop_chain_memo;

cfaop_chain_memo *cfaop_chain_memo_make(apr_pool_t *p, int capacity);
/* The result for `key`, NULL when none or an expired success. */
const aop_chain_result *cfaop_chain_memo_find(const cfaop_chain_memo *m,
                                              const cfaop_chain_key *key,
                                              time_t now);
/* Records a result, replacing an older one for the same key. */
void cfaop_chain_memo_put(cfaop_chain_memo *m, const cfaop_chain_key *key,
                          const aop_chain_result *res);
void cfaop_chain_memo_clear(cfaop_chain_memo *m);

/* What a client certificate says of itself; strings malloc'ed. */
typedef struct cfaop_leaf_info {
    aop_leaf facts;
    char sha256_hex[AOP_SHA256_HEXLEN];
    char *subject_dn; /* RFC 2253; "" when it cannot be printed */
    char *issuer_dn;
    char not_after[48];
} cfaop_leaf_info;

void cfaop_leaf_info_clear(cfaop_leaf_info *info);

typedef struct cfaop_cache cfaop_cache;

cfaop_cache *cfaop_cache_make(apr_pool_t *pconf);
/* 1 and *out when this process verified the chain of `key`. */
int cfaop_cache_get(cfaop_cache *cache, const cfaop_chain_key *key, time_t now,
                    aop_chain_result *out);
/* Remembers `res` when it is a success that needs no peer chain. */
void cfaop_cache_put(cfaop_cache *cache, const cfaop_chain_key *key,
                     const aop_chain_result *res);
/* Fills `out` for `x` (out->facts.cert is x), from what this process
 * learnt of the same bytes before when it can (`cache` may be NULL);
 * -1 when x cannot be read. */
int cfaop_cache_leaf_info(cfaop_cache *cache, X509 *x, cfaop_leaf_info *out);

#endif /* CFAOP_CACHE_H */
