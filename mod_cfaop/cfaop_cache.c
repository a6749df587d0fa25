/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"

#include "apr_strings.h"
#if APR_HAS_THREADS
#include "apr_thread_mutex.h"
#endif

#include "aop_cert.h"
#include "cfaop_cache.h"

/* Distinct (store, leaf, level) keys a process keeps; Cloudflare presents
 * one certificate per zone and hostname, so this covers large servers. */
#define CFAOP_CACHE_SLOTS 64
/* Distinct certificates whose facts a process keeps, for the same reason. */
#define CFAOP_LEAF_SLOTS 16

typedef struct cfaop_chain_slot {
    cfaop_chain_key key;
    aop_chain_result res;
} cfaop_chain_slot;

struct cfaop_chain_memo {
    int capacity;
    int used;
    int next; /* round-robin victim once full */
    cfaop_chain_slot *slots;
};

cfaop_chain_memo *cfaop_chain_memo_make(apr_pool_t *p, int capacity)
{
    cfaop_chain_memo *m = apr_pcalloc(p, sizeof(*m));

    m->capacity = capacity;
    m->slots = apr_pcalloc(p, (apr_size_t)capacity * sizeof(*m->slots));
    return m;
}

static int cfaop_chain_key_equal(const cfaop_chain_key *a,
                                 const cfaop_chain_key *b)
{
    return a->store == b->store && a->auth_level == b->auth_level
           && !memcmp(a->leaf_sha256, b->leaf_sha256, AOP_SHA256_LEN);
}

static cfaop_chain_slot *cfaop_chain_memo_slot(const cfaop_chain_memo *m,
                                               const cfaop_chain_key *key)
{
    int i;

    for (i = 0; i < m->used; i++) {
        if (cfaop_chain_key_equal(&m->slots[i].key, key)) {
            return &m->slots[i];
        }
    }
    return NULL;
}

const aop_chain_result *cfaop_chain_memo_find(const cfaop_chain_memo *m,
                                              const cfaop_chain_key *key,
                                              time_t now)
{
    const cfaop_chain_slot *slot = cfaop_chain_memo_slot(m, key);

    if (!slot
        || (slot->res.error == X509_V_OK && now >= slot->res.valid_until)) {
        return NULL;
    }
    return &slot->res;
}

void cfaop_chain_memo_put(cfaop_chain_memo *m, const cfaop_chain_key *key,
                          const aop_chain_result *res)
{
    cfaop_chain_slot *slot = cfaop_chain_memo_slot(m, key);

    if (!slot) {
        if (m->used < m->capacity) {
            slot = &m->slots[m->used++];
        }
        else {
            slot = &m->slots[m->next];
            m->next = (m->next + 1) % m->capacity;
        }
        slot->key = *key;
    }
    slot->res = *res;
}

void cfaop_chain_memo_clear(cfaop_chain_memo *m)
{
    m->used = m->next = 0;
}

typedef struct cfaop_leaf_slot {
    unsigned char *der; /* NULL: free */
    int der_len;
    cfaop_leaf_info info;
} cfaop_leaf_slot;

struct cfaop_cache {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    cfaop_chain_memo *memo;
    cfaop_leaf_slot leaves[CFAOP_LEAF_SLOTS];
    int next_leaf; /* round-robin victim */
};

static apr_status_t cfaop_cache_cleanup(void *data)
{
    cfaop_cache *cache = data;
    int i;

    for (i = 0; i < CFAOP_LEAF_SLOTS; i++) {
        OPENSSL_free(cache->leaves[i].der);
        cfaop_leaf_info_clear(&cache->leaves[i].info);
    }
    return APR_SUCCESS;
}

cfaop_cache *cfaop_cache_make(apr_pool_t *pconf)
{
    cfaop_cache *cache = apr_pcalloc(pconf, sizeof(*cache));

    cache->memo = cfaop_chain_memo_make(pconf, CFAOP_CACHE_SLOTS);
#if APR_HAS_THREADS
    /* Created before the children fork, never held then: each child gets
     * its own unlocked copy. */
    if (apr_thread_mutex_create(&cache->lock, APR_THREAD_MUTEX_DEFAULT, pconf)
        != APR_SUCCESS) {
        return NULL;
    }
#endif
    apr_pool_cleanup_register(pconf, cache, cfaop_cache_cleanup,
                              apr_pool_cleanup_null);
    return cache;
}

static void cfaop_cache_lock(cfaop_cache *cache)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(cache->lock);
#else
    (void)cache;
#endif
}

static void cfaop_cache_unlock(cfaop_cache *cache)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(cache->lock);
#else
    (void)cache;
#endif
}

int cfaop_cache_get(cfaop_cache *cache, const cfaop_chain_key *key, time_t now,
                    aop_chain_result *out)
{
    const aop_chain_result *res;

    if (!cache) {
        return 0;
    }
    cfaop_cache_lock(cache);
    res = cfaop_chain_memo_find(cache->memo, key, now);
    if (res) {
        *out = *res;
    }
    cfaop_cache_unlock(cache);
    return res != NULL;
}

void cfaop_cache_put(cfaop_cache *cache, const cfaop_chain_key *key,
                     const aop_chain_result *res)
{
    if (!cache || res->error != X509_V_OK || res->used_peer_chain) {
        return;
    }
    cfaop_cache_lock(cache);
    cfaop_chain_memo_put(cache->memo, key, res);
    cfaop_cache_unlock(cache);
}

void cfaop_leaf_info_clear(cfaop_leaf_info *info)
{
    free(info->subject_dn);
    free(info->issuer_dn);
    memset(info, 0, sizeof(*info));
}

static char *cfaop_cache_name(const X509_NAME *name)
{
    char *text = aop_name_rfc2253(name);

    return text ? text : strdup("");
}

/* Works out what `x` says; 0 or -1. */
static int cfaop_leaf_info_make(X509 *x, cfaop_leaf_info *out)
{
    memset(out, 0, sizeof(*out));
    if (aop_leaf_init(&out->facts, x) != 0) {
        return -1;
    }
    aop_hex(out->facts.sha256, AOP_SHA256_LEN, out->sha256_hex);
    out->subject_dn = cfaop_cache_name(X509_get_subject_name(x));
    out->issuer_dn = cfaop_cache_name(X509_get_issuer_name(x));
    if (!out->subject_dn || !out->issuer_dn) {
        cfaop_leaf_info_clear(out);
        return -1;
    }
    if (aop_cert_not_after_str(x, out->not_after, sizeof(out->not_after)) != 0) {
        out->not_after[0] = '\0';
    }
    return 0;
}

/* A copy of `from` describing `x`; 0 or -1. */
static int cfaop_leaf_info_copy(const cfaop_leaf_info *from, X509 *x,
                                cfaop_leaf_info *out)
{
    *out = *from;
    out->facts.cert = x;
    out->subject_dn = strdup(from->subject_dn);
    out->issuer_dn = strdup(from->issuer_dn);
    if (!out->subject_dn || !out->issuer_dn) {
        cfaop_leaf_info_clear(out);
        return -1;
    }
    return 0;
}

static cfaop_leaf_slot *cfaop_cache_leaf_find(cfaop_cache *cache,
                                             const unsigned char *der, int len)
{
    int i;

    for (i = 0; i < CFAOP_LEAF_SLOTS; i++) {
        cfaop_leaf_slot *slot = &cache->leaves[i];

        if (slot->der && slot->der_len == len && !memcmp(slot->der, der, (size_t)len)) {
            return slot;
        }
    }
    return NULL;
}

int cfaop_cache_leaf_info(cfaop_cache *cache, X509 *x, cfaop_leaf_info *out)
{
    unsigned char *der = NULL;
    cfaop_leaf_slot *slot;
    int len, rv = -1;

    if (!cache || (len = i2d_X509(x, &der)) <= 0) {
        rv = cfaop_leaf_info_make(x, out);
        goto cleanup;
    }
    cfaop_cache_lock(cache);
    slot = cfaop_cache_leaf_find(cache, der, len);
    rv = slot ? cfaop_leaf_info_copy(&slot->info, x, out) : -1;
    cfaop_cache_unlock(cache);
    if (slot) {
        goto cleanup;
    }
    if ((rv = cfaop_leaf_info_make(x, out)) != 0) {
        goto cleanup;
    }
    cfaop_cache_lock(cache);
    if (!cfaop_cache_leaf_find(cache, der, len)) {
        cfaop_leaf_info kept;

        if (cfaop_leaf_info_copy(out, NULL, &kept) == 0) {
            slot = &cache->leaves[cache->next_leaf];
            cache->next_leaf = (cache->next_leaf + 1) % CFAOP_LEAF_SLOTS;
            OPENSSL_free(slot->der);
            cfaop_leaf_info_clear(&slot->info);
            slot->der = der;
            slot->der_len = len;
            slot->info = kept;
            der = NULL;
        }
    }
    cfaop_cache_unlock(cache);

cleanup:
    OPENSSL_free(der);
    return rv;
}
