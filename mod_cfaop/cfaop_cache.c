/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <string.h>

#include "httpd.h"

#include "apr_strings.h"
#if APR_HAS_THREADS
#include "apr_thread_mutex.h"
#endif

#include "cfaop_cache.h"

/* Distinct (store, leaf, level) keys a process keeps; Cloudflare presents
 * one certificate per zone and hostname, so this covers large servers. */
#define CFAOP_CACHE_SLOTS 64

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

struct cfaop_cache {
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    cfaop_chain_memo *memo;
};

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
    return cache;
}

int cfaop_cache_get(cfaop_cache *cache, const cfaop_chain_key *key, time_t now,
                    aop_chain_result *out)
{
    const aop_chain_result *res;

    if (!cache) {
        return 0;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_lock(cache->lock);
#endif
    res = cfaop_chain_memo_find(cache->memo, key, now);
    if (res) {
        *out = *res;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(cache->lock);
#endif
    return res != NULL;
}

void cfaop_cache_put(cfaop_cache *cache, const cfaop_chain_key *key,
                     const aop_chain_result *res)
{
    if (!cache || res->error != X509_V_OK || res->used_peer_chain) {
        return;
    }
#if APR_HAS_THREADS
    apr_thread_mutex_lock(cache->lock);
#endif
    cfaop_chain_memo_put(cache->memo, key, res);
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(cache->lock);
#endif
}
