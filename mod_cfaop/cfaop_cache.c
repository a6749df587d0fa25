/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <string.h>

#include "httpd.h"

#include "apr_strings.h"
#if APR_HAS_THREADS
#include "apr_thread_mutex.h"
#endif

#include "cfaop_cache.h"

/* Distinct (store, leaf) pairs a process keeps; Cloudflare presents one
 * certificate per zone and hostname, so this covers large servers. */
#define CFAOP_CACHE_SLOTS 64

typedef struct cfaop_result_slot {
    const X509_STORE *store;
    unsigned char leaf_sha256[AOP_SHA256_LEN];
    aop_chain_result res;
} cfaop_result_slot;

struct cfaop_results {
    int capacity;
    int used;
    int next; /* round-robin victim once full */
    cfaop_result_slot *slots;
};

cfaop_results *cfaop_results_make(apr_pool_t *p, int capacity)
{
    cfaop_results *t = apr_pcalloc(p, sizeof(*t));

    t->capacity = capacity;
    t->slots = apr_pcalloc(p, (apr_size_t)capacity * sizeof(*t->slots));
    return t;
}

static cfaop_result_slot *cfaop_results_slot(const cfaop_results *t, const X509_STORE *store,
                                             const unsigned char leaf_sha256[AOP_SHA256_LEN])
{
    int i;

    for (i = 0; i < t->used; i++) {
        if (t->slots[i].store == store
            && !memcmp(t->slots[i].leaf_sha256, leaf_sha256, AOP_SHA256_LEN)) {
            return &t->slots[i];
        }
    }
    return NULL;
}

const aop_chain_result *cfaop_results_find(const cfaop_results *t, const X509_STORE *store,
                                           const unsigned char leaf_sha256[AOP_SHA256_LEN],
                                           time_t now)
{
    const cfaop_result_slot *slot = cfaop_results_slot(t, store, leaf_sha256);

    if (!slot || (slot->res.error == X509_V_OK && now >= slot->res.valid_until)) {
        return NULL;
    }
    return &slot->res;
}

void cfaop_results_put(cfaop_results *t, const X509_STORE *store,
                       const unsigned char leaf_sha256[AOP_SHA256_LEN],
                       const aop_chain_result *res)
{
    cfaop_result_slot *slot = cfaop_results_slot(t, store, leaf_sha256);

    if (!slot) {
        if (t->used < t->capacity) {
            slot = &t->slots[t->used++];
        }
        else {
            slot = &t->slots[t->next];
            t->next = (t->next + 1) % t->capacity;
        }
        slot->store = store;
        memcpy(slot->leaf_sha256, leaf_sha256, AOP_SHA256_LEN);
    }
    slot->res = *res;
}

void cfaop_results_clear(cfaop_results *t)
{
    t->used = t->next = 0;
}

struct cfaop_cache {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    cfaop_results *results;
};

cfaop_cache *cfaop_cache_create(apr_pool_t *pconf)
{
    cfaop_cache *cache = apr_pcalloc(pconf, sizeof(*cache));

    cache->results = cfaop_results_make(pconf, CFAOP_CACHE_SLOTS);
#if APR_HAS_THREADS
    /* Created before the children fork, never held then: each child gets
     * its own unlocked copy. */
    if (apr_thread_mutex_create(&cache->lock, APR_THREAD_MUTEX_DEFAULT, pconf)
        != APR_SUCCESS) {
        return NULL;
    }
#endif
    return cache;
}

int cfaop_cache_get(cfaop_cache *cache, const X509_STORE *store,
                    const unsigned char leaf_sha256[AOP_SHA256_LEN], time_t now,
                    aop_chain_result *out)
{
    const aop_chain_result *res;

    if (!cache || !store) {
        return 0;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_lock(cache->lock);
#endif
    res = cfaop_results_find(cache->results, store, leaf_sha256, now);
    if (res) {
        *out = *res;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(cache->lock);
#endif
    return res != NULL;
}

void cfaop_cache_put(cfaop_cache *cache, const X509_STORE *store,
                     const unsigned char leaf_sha256[AOP_SHA256_LEN],
                     const aop_chain_result *res)
{
    if (!cache || !store || res->error != X509_V_OK || res->used_peer_chain) {
        return;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_lock(cache->lock);
#endif
    cfaop_results_put(cache->results, store, leaf_sha256, res);
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(cache->lock);
#endif
}
