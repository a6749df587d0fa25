/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_log.h"

#include "apr_strings.h"
#if APR_HAS_THREADS
#include "apr_thread_mutex.h"
#endif

#include "cfaop_conn.h"
#include "cfaop_private.h"

/* Trust stores whose result a connection remembers; a connection meets the
 * zone store and rarely more than one hostname store. */
#define CFAOP_CONN_MEMO_SLOTS 4

/*
 * What one certificate of the connection says: its facts and the request
 * variables' text. Requests point at the text instead of copying it, so it
 * lives as long as the connection: a request keeps its variables when
 * mod_ssl renegotiates during it. One is made per certificate
 * (renegotiations are rare); malloc'ed, as c->pool belongs to the master
 * connection's thread and HTTP/2 streams run on others. info.facts.cert is
 * the connection's leaf while the certificate is current, and is not used
 * after.
 */
typedef struct cfaop_conn_desc {
    struct cfaop_conn_desc *older;
    unsigned int generation; /* the certificate it describes */
    cfaop_leaf_info info;
} cfaop_conn_desc;

/* Written by the handshake and by requests. An HTTP/1 connection is used by
 * one thread at a time; the streams of an HTTP/2 connection run on several
 * threads at once, so their every access holds `lock`. */
struct cfaop_conn {
    SSL *ssl;
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    X509 *leaf;              /* own reference; what the fields below describe */
    unsigned int generation; /* counts the certificates the connection had */
    int by_modssl;           /* mod_ssl verified `leaf` for its own policy */
    cfaop_conn_desc *desc;   /* newest first; desc->generation tells whether
                                it is about `leaf` */
    cfaop_chain_memo *memo;  /* chain results for `leaf` */
    int tls_failed;          /* shared connections: a failure was told */
    long tls_error;
};

/* This generation's verified certificates; set in post_config, NULL
 * outside a configuration's lifetime. */
static cfaop_cache *cfaop_conn_cache;

void cfaop_conn_use_cache(cfaop_cache *cache)
{
    cfaop_conn_cache = cache;
}

cfaop_conn *cfaop_conn_get(conn_rec *c)
{
    return ap_get_module_config((c->master ? c->master : c)->conn_config,
                                &cfaop_module);
}

/* `shared`: the caller is a stream of an HTTP/2 connection. The handshake
 * locks whatever the protocol: it is rare. */
static void cfaop_conn_lock(cfaop_conn *cc, int shared)
{
#if APR_HAS_THREADS
    if (shared) {
        apr_thread_mutex_lock(cc->lock);
    }
#else
    (void)cc;
    (void)shared;
#endif
}

static void cfaop_conn_unlock(cfaop_conn *cc, int shared)
{
#if APR_HAS_THREADS
    if (shared) {
        apr_thread_mutex_unlock(cc->lock);
    }
#else
    (void)cc;
    (void)shared;
#endif
}

/* Forgets everything known about the previous certificate and adopts `x`. */
static void cfaop_conn_adopt(cfaop_conn *cc, X509 *x, int by_modssl)
{
    if (cc->leaf) {
        X509_free(cc->leaf);
    }
    cfaop_chain_memo_clear(cc->memo);
    cc->leaf = NULL;
    cc->by_modssl = by_modssl;
    cc->tls_failed = 0;
    cc->generation++;
    if (x && X509_up_ref(x)) {
        cc->leaf = x;
    }
}

/* Follows the TLS layer: a resumed session brings its certificate without
 * any verification, a renegotiation a new one. The reference held on
 * `leaf` keeps the comparison free of address reuse. */
static void cfaop_conn_sync(cfaop_conn *cc)
{
    X509 *x = SSL_get0_peer_certificate(cc->ssl);

    if (x != cc->leaf) {
        cfaop_conn_adopt(cc, x, 0);
    }
}

static apr_status_t cfaop_conn_cleanup(void *data)
{
    cfaop_conn *cc = data;
    cfaop_conn_desc *desc;

    cfaop_conn_adopt(cc, NULL, 0);
    while ((desc = cc->desc) != NULL) {
        cc->desc = desc->older;
        cfaop_leaf_info_clear(&desc->info);
        free(desc);
    }
    return APR_SUCCESS;
}

cfaop_conn *cfaop_conn_make(conn_rec *c, SSL *ssl)
{
    cfaop_conn *cc = apr_pcalloc(c->pool, sizeof(*cc));

    cc->ssl = ssl;
    cc->memo = cfaop_chain_memo_make(c->pool, CFAOP_CONN_MEMO_SLOTS);
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&cc->lock, APR_THREAD_MUTEX_DEFAULT, c->pool)
        != APR_SUCCESS) {
        return NULL;
    }
#endif
    apr_pool_cleanup_register(c->pool, cc, cfaop_conn_cleanup,
                              apr_pool_cleanup_null);
    ap_set_module_config(c->conn_config, &cfaop_module, cc);
    return cc;
}

/* What the current certificate says, worked out once; NULL when it cannot
 * be read. */
static const cfaop_conn_desc *cfaop_conn_describe(cfaop_conn *cc)
{
    cfaop_conn_desc *desc = cc->desc;

    if (desc && desc->generation == cc->generation) {
        return desc;
    }
    if ((desc = calloc(1, sizeof(*desc))) == NULL) {
        return NULL;
    }
    if (cfaop_cache_leaf_info(cfaop_conn_cache, cc->leaf, &desc->info) != 0) {
        free(desc);
        return NULL;
    }
    desc->generation = cc->generation;
    desc->older = cc->desc;
    cc->desc = desc;
    return desc;
}

/* Where a chain result came from, for the debug log. */
typedef enum {
    CFAOP_CHAIN_MEMO,     /* this connection had it */
    CFAOP_CHAIN_CACHE,    /* this process verified it before */
    CFAOP_CHAIN_VERIFIED  /* verified now */
} cfaop_chain_source;

/*
 * The one look-up-or-verify path: the chain result of the current
 * certificate against `policy` (which has anchors), from this connection's
 * memo, else from this process's cache, else verified now at the
 * connection's security level. Called with the lock held.
 */
static cfaop_chain_source cfaop_conn_chain(cfaop_conn *cc,
                                           const cfaop_conn_desc *desc,
                                           const aop_policy *policy,
                                           STACK_OF(X509) *peer_chain,
                                           time_t now, aop_chain_result *out)
{
    const aop_chain_result *known;
    cfaop_chain_key key;

    memset(&key, 0, sizeof(key));
    key.store = aop_policy_store(policy);
    key.auth_level = SSL_get_security_level(cc->ssl);
    memcpy(key.leaf_sha256, desc->info.facts.sha256, AOP_SHA256_LEN);
    if ((known = cfaop_chain_memo_find(cc->memo, &key, now)) != NULL) {
        *out = *known;
        return CFAOP_CHAIN_MEMO;
    }
    if (cfaop_cache_get(cfaop_conn_cache, &key, now, out)) {
        cfaop_chain_memo_put(cc->memo, &key, out);
        return CFAOP_CHAIN_CACHE;
    }
    aop_policy_verify_chain(policy, cc->leaf, peer_chain, now, key.auth_level,
                            out);
    cfaop_cache_put(cfaop_conn_cache, &key, out);
    cfaop_chain_memo_put(cc->memo, &key, out);
    return CFAOP_CHAIN_VERIFIED;
}

static void cfaop_conn_log_chain(conn_rec *c, int in_handshake,
                                 cfaop_chain_source source,
                                 const aop_chain_result *chain)
{
    const char *outcome, *when;

    if (source == CFAOP_CHAIN_MEMO || !APLOGcdebug(c)) {
        return;
    }
    outcome = chain->error == X509_V_OK
        ? "ok" : X509_verify_cert_error_string(chain->error);
    when = in_handshake ? "handshake" : "request";
    if (source == CFAOP_CHAIN_CACHE) {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, CFAOP_LOGNO(00014)
                      "chain result for %s reused: this certificate was "
                      "verified against this trust store in this process",
                      when);
    }
    else if (in_handshake) {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, CFAOP_LOGNO(00010)
                      "chain verified in handshake: %s", outcome);
    }
    else {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, CFAOP_LOGNO(00013)
                      "chain verified for request: %s", outcome);
    }
}

void cfaop_conn_verify_handshake(cfaop_conn *cc, conn_rec *c,
                                 const aop_policy *zone, X509 *leaf,
                                 STACK_OF(X509) *peer_chain)
{
    aop_chain_result chain;
    cfaop_chain_source source;
    const cfaop_conn_desc *desc;

    cfaop_conn_lock(cc, 1);
    cfaop_conn_adopt(cc, leaf, 0);
    if (!cc->leaf || !aop_policy_store(zone)
        || (desc = cfaop_conn_describe(cc)) == NULL) {
        /* Nothing to remember: the requests judge what they find. */
        cfaop_conn_unlock(cc, 1);
        return;
    }
    source = cfaop_conn_chain(cc, desc, zone, peer_chain,
                              apr_time_sec(apr_time_now()), &chain);
    cfaop_conn_unlock(cc, 1);
    cfaop_conn_log_chain(c, 1, source, &chain);
}

void cfaop_conn_note_modssl(cfaop_conn *cc, X509 *leaf)
{
    cfaop_conn_lock(cc, 1);
    cfaop_conn_adopt(cc, leaf, 1);
    cfaop_conn_unlock(cc, 1);
}

/* Fills what `peer` says without a verdict. Called with the lock held. */
static void cfaop_conn_peek(cfaop_conn *cc, cfaop_peer *peer)
{
    memset(peer, 0, sizeof(*peer));
    peer->result.verdict = AOP_VERDICT_NO_CERT;
    peer->tls = 1;
    peer->handshake_ctx = SSL_get_SSL_CTX(cc->ssl);
    cfaop_conn_sync(cc);
    peer->has_cert = cc->leaf != NULL;
    peer->by_modssl = cc->by_modssl;
    peer->generation = cc->generation;
}

void cfaop_conn_state(cfaop_conn *cc, cfaop_peer *peer, int shared)
{
    cfaop_conn_lock(cc, shared);
    cfaop_conn_peek(cc, peer);
    cfaop_conn_unlock(cc, shared);
}

void cfaop_conn_judge(cfaop_conn *cc, request_rec *r, const aop_policy *policy,
                      cfaop_peer *peer)
{
    time_t now = apr_time_sec(r->request_time);
    aop_chain_result chain;
    cfaop_chain_source source;
    const cfaop_conn_desc *desc;
    int anchored = aop_policy_store(policy) != NULL;
    int shared = r->connection->master != NULL;

    cfaop_conn_lock(cc, shared);
    cfaop_conn_peek(cc, peer);
    if (!cc->leaf) {
        goto cleanup;
    }
    if ((desc = cfaop_conn_describe(cc)) == NULL) {
        peer->result.verdict = AOP_VERDICT_INTERNAL;
        goto cleanup;
    }
    if (anchored) {
        /* After resumption the peer's chain is gone: intermediates must
         * then come from the anchors file. */
        source = cfaop_conn_chain(cc, desc, policy,
                                  SSL_get_peer_cert_chain(cc->ssl), now, &chain);
        cfaop_conn_log_chain(r->connection, 0, source, &chain);
    }
    aop_policy_check(policy, &desc->info.facts, anchored ? &chain : NULL, now,
                     &peer->result);
    peer->sha256_hex = desc->info.sha256_hex;
    peer->subject_dn = desc->info.subject_dn;
    peer->issuer_dn = desc->info.issuer_dn;
    peer->not_after = desc->info.not_after;

cleanup:
    cfaop_conn_unlock(cc, shared);
}

int cfaop_conn_tell_tls(cfaop_conn *cc, const cfaop_peer *peer, int tell,
                        long error, int shared)
{
    int same;

    cfaop_conn_lock(cc, shared);
    cfaop_conn_sync(cc);
    same = cc->generation == peer->generation;
    if (!same || !tell || !cc->leaf || cc->by_modssl) {
        goto cleanup;
    }
    if (shared && cc->tls_failed) {
        error = cc->tls_error;
    }
    else if (shared && error != X509_V_OK) {
        cc->tls_failed = 1;
        cc->tls_error = error;
    }
    SSL_set_verify_result(cc->ssl, error);

cleanup:
    cfaop_conn_unlock(cc, shared);
    return same;
}
