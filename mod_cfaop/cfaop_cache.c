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

typedef struct cfaop_cache_slot {
    const X509_STORE *store;
    unsigned char leaf_sha256[AOP_SHA256_LEN];
    aop_chain_result res;
} cfaop_cache_slot;

struct cfaop_cache {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    cfaop_cache_slot slots[CFAOP_CACHE_SLOTS];
    int used;
    int next; /* round-robin victim once full */
};

cfaop_cache *cfaop_cache_create(apr_pool_t *pconf)
{
    cfaop_cache *cache = apr_pcalloc(pconf, sizeof(*cache));

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

static cfaop_cache_slot *cfaop_cache_find(cfaop_cache *cache, const X509_STORE *store,
                                          const unsigned char leaf_sha256[AOP_SHA256_LEN])
{
    int i;

    for (i = 0; i < cache->used; i++) {
        if (cache->slots[i].store == store
            && !memcmp(cache->slots[i].leaf_sha256, leaf_sha256, AOP_SHA256_LEN)) {
            return &cache->slots[i];
        }
    }
    return NULL;
}

int cfaop_cache_get(cfaop_cache *cache, const X509_STORE *store,
                    const unsigned char leaf_sha256[AOP_SHA256_LEN], time_t now,
                    aop_chain_result *out)
{
    cfaop_cache_slot *slot;
    int hit = 0;

    if (!cache || !store) {
        return 0;
    }
    cfaop_cache_lock(cache);
    slot = cfaop_cache_find(cache, store, leaf_sha256);
    if (slot && now < slot->res.valid_until) {
        *out = slot->res;
        hit = 1;
    }
    cfaop_cache_unlock(cache);
    return hit;
}

void cfaop_cache_put(cfaop_cache *cache, const X509_STORE *store,
                     const unsigned char leaf_sha256[AOP_SHA256_LEN],
                     const aop_chain_result *res)
{
    cfaop_cache_slot *slot;

    if (!cache || !store || res->error != X509_V_OK || res->used_peer_chain) {
        return;
    }
    cfaop_cache_lock(cache);
    slot = cfaop_cache_find(cache, store, leaf_sha256);
    if (!slot) {
        if (cache->used < CFAOP_CACHE_SLOTS) {
            slot = &cache->slots[cache->used++];
        }
        else {
            slot = &cache->slots[cache->next];
            cache->next = (cache->next + 1) % CFAOP_CACHE_SLOTS;
        }
        slot->store = store;
        memcpy(slot->leaf_sha256, leaf_sha256, AOP_SHA256_LEN);
    }
    slot->res = *res;
    cfaop_cache_unlock(cache);
}
