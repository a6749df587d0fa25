/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_log.h"

#include "apr_optional_hooks.h"
#include "apr_strings.h"
#if APR_HAS_THREADS
#include "apr_thread_mutex.h"
#endif

#include "mod_ssl_openssl.h"
#include <openssl/err.h>

#include "cfaop_cache.h"
#include "cfaop_config.h"
#include "cfaop_log.h"
#include "cfaop_ssl.h"

APLOG_USE_MODULE(cfaop);
extern module AP_MODULE_DECLARE_DATA cfaop_module;

/* Trust stores whose result a connection remembers; a connection meets the
 * zone store and rarely more than one hostname store. */
#define CFAOP_CHAIN_SLOTS 4

/* Per TLS connection (the master connection for HTTP/2). Written by the
 * handshake and by requests; HTTP/2 streams run on several threads, so
 * every access after the handshake holds `lock`. Strings are malloc'ed, not
 * taken from c->pool, which the master connection's thread owns. */
typedef struct cfaop_conn {
    SSL *ssl;
#if APR_HAS_THREADS
    apr_thread_mutex_t *lock;
#endif
    X509 *leaf;              /* own reference; what the facts below describe */
    int facts_ready;
    aop_leaf facts;
    char sha256_hex[AOP_SHA256_HEXLEN];
    char *subject_dn;
    char *issuer_dn;
    char not_after[48];
    cfaop_results *chains;   /* chain results for this leaf, per trust store */
} cfaop_conn;

/* This generation's verified certificates (see cfaop_cache.h); set in
 * post_config, NULL outside a configuration's lifetime. */
static cfaop_cache *cfaop_ssl_verified;

static cfaop_conn *cfaop_conn_get(conn_rec *c)
{
    return ap_get_module_config(c->conn_config, &cfaop_module);
}

static void cfaop_conn_lock(cfaop_conn *cc)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(cc->lock);
#else
    (void)cc;
#endif
}

static void cfaop_conn_unlock(cfaop_conn *cc)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(cc->lock);
#else
    (void)cc;
#endif
}

/* Forgets everything known about the previous leaf and adopts `x`. */
static void cfaop_conn_set_leaf(cfaop_conn *cc, X509 *x)
{
    if (cc->leaf) {
        X509_free(cc->leaf);
    }
    free(cc->subject_dn);
    free(cc->issuer_dn);
    cc->subject_dn = cc->issuer_dn = NULL;
    cc->facts_ready = 0;
    cfaop_results_clear(cc->chains);
    cc->leaf = NULL;
    if (x && X509_up_ref(x)) {
        cc->leaf = x;
    }
}

static apr_status_t cfaop_conn_cleanup(void *data)
{
    cfaop_conn_set_leaf(data, NULL);
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* mod_ssl hooks                                                       */

static int cfaop_ssl_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    cfaop_conn *cc;

    if (is_proxy) {
        return DECLINED;
    }
    cc = apr_pcalloc(c->pool, sizeof(*cc));
    cc->ssl = ssl;
    cc->chains = cfaop_results_make(c->pool, CFAOP_CHAIN_SLOTS);
#if APR_HAS_THREADS
    if (apr_thread_mutex_create(&cc->lock, APR_THREAD_MUTEX_DEFAULT, c->pool)
        != APR_SUCCESS) {
        /* Without the record every request on this connection is refused. */
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, CFAOP_LOGNO(20)
                      "cannot create a connection lock");
        return DECLINED;
    }
#endif
    apr_pool_cleanup_register(c->pool, cc, cfaop_conn_cleanup, apr_pool_cleanup_null);
    ap_set_module_config(c->conn_config, &cfaop_module, cc);
    return OK;
}

/* The per-certificate callback of our verification: OpenSSL's verdict,
 * unchanged. mod_ssl's callback, which the connection may still carry from
 * the default vhost, says "ok" to every error when its own SSLVerifyClient is
 * none; it must never take part in our verification. */
static int cfaop_ssl_verify_unchanged(int preverify_ok, X509_STORE_CTX *xctx)
{
    (void)xctx;
    return preverify_ok;
}

/*
 * Replaces OpenSSL's chain verification in handshakes of enabled vhosts:
 * verifies against the store of the vhost the handshake selected (by SNI),
 * records the outcome for the requests to come, and lets the handshake
 * finish, so that a failure becomes a logged 403/421 for the request's own
 * vhost and hostname instead of an anonymous TLS alert. The client has
 * still proven possession of the certificate's key (CertificateVerify).
 */
/* Debug trace of where a connection's chain result came from. */
static void cfaop_ssl_log_chain(conn_rec *c, int in_handshake, int cached,
                                const aop_chain_result *chain)
{
    const char *outcome = chain->error == X509_V_OK
        ? "ok" : X509_verify_cert_error_string(chain->error);

    if (cached) {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, CFAOP_LOGNO(25)
                      "chain result for %s reused: this certificate was verified "
                      "against this trust store in this process",
                      in_handshake ? "handshake" : "request");
    }
    else if (in_handshake) {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, CFAOP_LOGNO(21)
                      "chain verified in handshake: %s", outcome);
    }
    else {
        ap_log_cerror(APLOG_MARK, APLOG_DEBUG, 0, c, CFAOP_LOGNO(24)
                      "chain verified for request: %s", outcome);
    }
}

static int cfaop_ssl_cert_verify(X509_STORE_CTX *xctx, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xctx, SSL_get_ex_data_X509_STORE_CTX_idx());
    conn_rec *c = ssl ? SSL_get_app_data(ssl) : NULL;
    cfaop_conn *cc = c ? cfaop_conn_get(c) : NULL;
    X509 *leaf = X509_STORE_CTX_get0_cert(xctx);
    X509_STORE *store = X509_STORE_CTX_get0_store(xctx);
    unsigned char sha256[AOP_SHA256_LEN];
    aop_chain_result chain;
    int have_sha = aop_cert_sha256(leaf, sha256) == 0;
    int cached = have_sha && cfaop_cache_get(cfaop_ssl_verified, store, sha256,
                                             time(NULL), &chain);

    (void)arg;
    if (!cached) {
        X509_STORE_CTX_set_verify_cb(xctx, cfaop_ssl_verify_unchanged);
        aop_chain_verify_ctx(xctx, &chain);
        if (have_sha) {
            cfaop_cache_put(cfaop_ssl_verified, store, sha256, &chain);
        }
    }
    if (cc) {
        cfaop_conn_lock(cc);
        cfaop_conn_set_leaf(cc, leaf);
        if (have_sha) {
            cfaop_results_put(cc->chains, store, sha256, &chain);
        }
        cfaop_conn_unlock(cc);
        cfaop_ssl_log_chain(c, 1, cached, &chain);
    }
    X509_STORE_CTX_set_error(xctx, X509_V_OK);
    return 1;
}

static int cfaop_ssl_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                                 SSL_CTX *ctx)
{
    cfaop_srv_conf *sc = cfaop_config_get(s);
    X509_STORE *store;

    (void)p;
    if (is_proxy) {
        return DECLINED;
    }
    sc->ssl_ctx = ctx;
    sc->ctx_hooked = 0;
    if (!cfaop_config_enabled(sc) || !sc->zone_policy) {
        return DECLINED;
    }
    /* configtest refuses SSLVerifyClient here (CFAOP5); this catches what
     * its scan of the configuration tree cannot see. */
    if (SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CFAOP_LOGNO(22)
            "virtual host %s:%u also has SSLVerifyClient; mod_cfaop takes over "
            "the handshake's client verification, remove SSLVerifyClient",
            s->server_hostname ? s->server_hostname : "(unnamed)", (unsigned)s->port);
    }
    store = aop_policy_store(sc->zone_policy->core);
    /* set1_verify_cert_store leaves mod_ssl's own store (and CRLs) alone. */
    if (store && SSL_CTX_set1_verify_cert_store(ctx, store) != 1) {
        ERR_clear_error();
        /* Not fatal: a failed post_config would take a running server down
         * on graceful restart. Unhooked vhosts refuse every request. */
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CFAOP_LOGNO(23)
                     "cannot attach the trust store; every request is refused");
        return DECLINED;
    }
    /* A non-NULL callback, so that mod_ssl's SNI switch (SSL_set_verify with
     * this ctx's callback) replaces the default vhost's on the connection. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, cfaop_ssl_verify_unchanged);
    SSL_CTX_set_cert_verify_callback(ctx, cfaop_ssl_cert_verify, NULL);
    /* No CA names in the CertificateRequest: OpenSSL would hold a copy per
     * SSL_CTX (10,000 vhosts, 10,000 copies), and a client that filters its
     * certificates by them would send none under a pin-only policy. */
    sc->ctx_hooked = 1;
    return OK;
}

static apr_status_t cfaop_ssl_forget_verified(void *data)
{
    (void)data;
    cfaop_ssl_verified = NULL;
    return APR_SUCCESS;
}

static int cfaop_ssl_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    (void)plog;
    (void)ptemp;
    cfaop_ssl_verified = cfaop_cache_create(pconf);
    if (!cfaop_ssl_verified) {
        /* Only slower: every chain is verified. */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CFAOP_LOGNO(26)
                     "cannot create the cache of verified certificates");
    }
    apr_pool_cleanup_register(pconf, NULL, cfaop_ssl_forget_verified,
                              apr_pool_cleanup_null);
    return OK;
}

void cfaop_ssl_register_hooks(void)
{
    ap_hook_post_config(cfaop_ssl_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, init_server, cfaop_ssl_init_server, NULL, NULL,
                      APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ssl, pre_handshake, cfaop_ssl_pre_handshake, NULL, NULL,
                      APR_HOOK_MIDDLE);
}

/* ------------------------------------------------------------------ */
/* per request                                                         */

static int cfaop_conn_facts(cfaop_conn *cc)
{
    if (cc->facts_ready) {
        return 0;
    }
    if (aop_leaf_init(&cc->facts, cc->leaf) != 0) {
        return -1;
    }
    aop_hex(cc->facts.sha256, AOP_SHA256_LEN, cc->sha256_hex);
    cc->subject_dn = aop_name_rfc2253(X509_get_subject_name(cc->leaf));
    cc->issuer_dn = aop_name_rfc2253(X509_get_issuer_name(cc->leaf));
    if (aop_cert_not_after_str(cc->leaf, cc->not_after, sizeof(cc->not_after)) != 0) {
        cc->not_after[0] = '\0';
    }
    cc->facts_ready = 1;
    return 0;
}

void cfaop_ssl_judge(request_rec *r, const aop_policy *policy, cfaop_peer *peer)
{
    conn_rec *c1 = r->connection->master ? r->connection->master : r->connection;
    cfaop_conn *cc = cfaop_conn_get(c1);
    const aop_chain_result *known = NULL;
    X509_STORE *store = aop_policy_store(policy);
    time_t now = apr_time_sec(r->request_time);
    X509 *x;

    memset(peer, 0, sizeof(*peer));
    peer->result.verdict = AOP_VERDICT_NO_CERT;
    if (!cc || !cc->ssl) {
        return;
    }
    peer->tls = 1;
    peer->handshake_ctx = SSL_get_SSL_CTX(cc->ssl);
    cfaop_conn_lock(cc);
    x = SSL_get0_peer_certificate(cc->ssl);
    if (x != cc->leaf) {
        /* A resumed session (no handshake verification happened) or a
         * renegotiated certificate: nothing recorded applies. */
        cfaop_conn_set_leaf(cc, x);
    }
    if (!cc->leaf) {
        goto cleanup;
    }
    peer->has_cert = 1;
    if (cfaop_conn_facts(cc) != 0) {
        peer->result.verdict = AOP_VERDICT_INTERNAL;
        goto cleanup;
    }
    if (store && !(known = cfaop_results_find(cc->chains, store, cc->facts.sha256, now))) {
        aop_chain_result chain;
        int cached = cfaop_cache_get(cfaop_ssl_verified, store, cc->facts.sha256,
                                     now, &chain);

        if (!cached) {
            /* After resumption the peer's chain is gone: intermediates must
             * then come from the anchors file. */
            aop_policy_verify_chain(policy, cc->leaf, SSL_get_peer_cert_chain(cc->ssl),
                                    now, &chain);
            cfaop_cache_put(cfaop_ssl_verified, store, cc->facts.sha256, &chain);
        }
        cfaop_results_put(cc->chains, store, cc->facts.sha256, &chain);
        known = cfaop_results_find(cc->chains, store, cc->facts.sha256, now);
        cfaop_ssl_log_chain(r->connection, 0, cached, &chain);
    }
    aop_policy_check(policy, &cc->facts, NULL, now, known, &peer->result);
    peer->sha256_hex = apr_pstrdup(r->pool, cc->sha256_hex);
    peer->subject_dn = apr_pstrdup(r->pool, cc->subject_dn ? cc->subject_dn : "");
    peer->issuer_dn = apr_pstrdup(r->pool, cc->issuer_dn ? cc->issuer_dn : "");
    peer->not_after = apr_pstrdup(r->pool, cc->not_after);

cleanup:
    cfaop_conn_unlock(cc);
}
