/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include "httpd.h"
#include "http_config.h"
#include "http_connection.h"
#include "http_log.h"

#include "mod_ssl_openssl.h"
#include <openssl/err.h>

#include "cfaop_config.h"
#include "cfaop_conn.h"
#include "cfaop_private.h"
#include "cfaop_ssl.h"

/* Where every server context of this generation keeps its vhost's
 * configuration; allocated once per process (per module load). */
static int cfaop_ssl_ctx_index = -1;

cfaop_srv_conf *cfaop_ssl_ctx_conf(SSL_CTX *ctx)
{
    if (!ctx || cfaop_ssl_ctx_index < 0) {
        return NULL;
    }
    return SSL_CTX_get_ex_data(ctx, cfaop_ssl_ctx_index);
}

int cfaop_ssl_ctx_is_ours(SSL_CTX *ctx)
{
    const cfaop_srv_conf *sc = cfaop_ssl_ctx_conf(ctx);

    return sc && sc->ctx_hooked;
}

int cfaop_ssl_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy)
{
    if (is_proxy) {
        return DECLINED;
    }
    if (!cfaop_conn_make(c, ssl)) {
        /* Without the record every request on this connection is refused. */
        ap_log_cerror(APLOG_MARK, APLOG_ERR, 0, c, CFAOP_LOGNO(00009)
                      "cannot create a connection record");
        return DECLINED;
    }
    return OK;
}

/*
 * The per-certificate callback of our handshakes: OpenSSL's verdict,
 * unchanged. Its presence on a connection is also the mark that the
 * verification in progress is ours: mod_ssl installs its own callback
 * whenever it verifies for its own SSLVerifyClient, and the SNI switch
 * copies ours from the context of an enabled vhost.
 */
static int cfaop_ssl_verify_ours(int preverify_ok, X509_STORE_CTX *xctx)
{
    (void)xctx;
    return preverify_ok;
}

/*
 * TLS 1.3 session tickets that carry a client certificate cost a decoding
 * of it each: OpenSSL 3.0 makes every stateless ticket with i2d, d2i and
 * i2d of the whole session ("a fresh copy"), and d2i_X509 of a P-256 leaf
 * is ~1.6 M instructions, most in OSSL_DECODER_CTX_new_for_pkey. OpenSSL
 * sends two after a full handshake; one is what a client needs to resume
 * its next connection, which brings it a new one.
 */
static void cfaop_ssl_fewer_tickets(SSL *ssl)
{
    if (SSL_get_num_tickets(ssl) > 1) {
        SSL_set_num_tickets(ssl, 1);
    }
}

/*
 * Replaces OpenSSL's chain verification on the contexts of enabled vhosts.
 *
 * When mod_ssl asked for the certificate (renegotiation or post-handshake
 * authentication for an SSLVerifyClient of its own), the verification is
 * OpenSSL's, untouched: mod_ssl's trust store, mod_ssl's callback, mod_ssl's
 * verdict. We only note that the certificate is mod_ssl's.
 *
 * When we asked, the certificate is verified against the zone policy of the
 * vhost the handshake selected and the result kept for the requests, which
 * decide with their own vhost and hostname; the handshake completes, so that
 * a failure becomes a logged 403/421 instead of an anonymous TLS alert. The
 * client has still proven possession of its key (CertificateVerify). What
 * the TLS layer then reports (SSL_CLIENT_VERIFY) is set per request, once
 * mod_ssl's post-handshake check is past.
 */
static int cfaop_ssl_cert_verify(X509_STORE_CTX *xctx, void *arg)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(xctx,
                                          SSL_get_ex_data_X509_STORE_CTX_idx());
    conn_rec *c = ssl ? SSL_get_app_data(ssl) : NULL;
    cfaop_conn *cc = c ? cfaop_conn_get(c) : NULL;
    const cfaop_srv_conf *sc = ssl ? cfaop_ssl_ctx_conf(SSL_get_SSL_CTX(ssl))
                                   : NULL;

    (void)arg;
    if (!cc || !sc || !sc->zone_policy
        || SSL_get_verify_callback(ssl) != cfaop_ssl_verify_ours) {
        if (cc) {
            cfaop_conn_note_modssl(cc, X509_STORE_CTX_get0_cert(xctx));
        }
        return X509_verify_cert(xctx);
    }
    cfaop_conn_verify_handshake(cc, c, sc->zone_policy->core,
                                X509_STORE_CTX_get0_cert(xctx),
                                X509_STORE_CTX_get0_untrusted(xctx));
    X509_STORE_CTX_set_error(xctx, X509_V_OK);
    cfaop_ssl_fewer_tickets(ssl);
    return 1;
}

/*
 * mod_ssl decides whether it must verify a client for its own policy from
 * the connection's verify mode: once our handshake is over, the mode must
 * read as if nobody had asked for a certificate, so that an SSLVerifyClient
 * of mod_ssl's (per directory, .htaccess, another vhost) makes mod_ssl
 * verify for itself instead of trusting ours.
 */
static void cfaop_ssl_info(const SSL *ssl, int where, int ret)
{
    const cfaop_srv_conf *sc = cfaop_ssl_ctx_conf(SSL_get_SSL_CTX(ssl));

    if (sc && sc->modssl_info_cb) {
        sc->modssl_info_cb(ssl, where, ret);
    }
    if ((where & SSL_CB_HANDSHAKE_DONE)
        && SSL_get_verify_callback(ssl) == cfaop_ssl_verify_ours) {
        SSL_set_verify((SSL *)ssl, SSL_VERIFY_NONE, NULL);
    }
}

int cfaop_ssl_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                          SSL_CTX *ctx)
{
    cfaop_srv_conf *sc = cfaop_config_get(s);
    void (*info_cb)(const SSL *, int, int);

    (void)p;
    if (is_proxy) {
        return DECLINED;
    }
    sc->tls = 1;
    sc->ctx_hooked = 0;
    if (cfaop_ssl_ctx_index < 0) {
        cfaop_ssl_ctx_index = SSL_CTX_get_ex_new_index(0, "mod_cfaop", NULL,
                                                       NULL, NULL);
    }
    if (cfaop_ssl_ctx_index < 0 || !SSL_CTX_set_ex_data(ctx, cfaop_ssl_ctx_index, sc)) {
        ERR_clear_error();
        /* Not fatal: a failed post_config would take a running server down
         * on graceful restart. Unhooked vhosts refuse every request. */
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CFAOP_LOGNO(00012)
                     "cannot attach mod_cfaop to the TLS context of %s; "
                     "every request to it is refused", CFAOP_SNAME(s));
        return DECLINED;
    }
    if (!cfaop_config_enabled(sc) || !sc->zone_policy) {
        return DECLINED;
    }
    /* configtest refuses SSLVerifyClient here; what its reading of the
     * configuration tree cannot see fails closed rather than having one of
     * two policies silently replace the other. */
    if (SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, CFAOP_LOGNO(00011)
            "virtual host %s also has SSLVerifyClient, which mod_cfaop does "
            "not replace: every request to it is refused; remove "
            "SSLVerifyClient", CFAOP_SNAME(s));
        return DECLINED;
    }
    /* mod_ssl's own trust store stays the context's: mod_ssl verifies
     * against it whenever it asks for a certificate itself. */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, cfaop_ssl_verify_ours);
    SSL_CTX_set_cert_verify_callback(ctx, cfaop_ssl_cert_verify, NULL);
    info_cb = SSL_CTX_get_info_callback(ctx);
    if (info_cb != cfaop_ssl_info) {
        sc->modssl_info_cb = info_cb;
        SSL_CTX_set_info_callback(ctx, cfaop_ssl_info);
    }
    /* No CA names in the CertificateRequest: OpenSSL would hold a copy per
     * SSL_CTX (10,000 vhosts, 10,000 copies), and a client that filters its
     * certificates by them would send none under a pin-only policy. */
    sc->ctx_hooked = 1;
    return OK;
}

static apr_status_t cfaop_ssl_forget_cache(void *data)
{
    (void)data;
    cfaop_conn_use_cache(NULL);
    return APR_SUCCESS;
}

int cfaop_ssl_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s)
{
    cfaop_cache *cache = cfaop_cache_make(pconf);

    (void)plog;
    (void)ptemp;
    if (!cache) {
        /* Only slower: every chain is verified. */
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CFAOP_LOGNO(00015)
                     "cannot create the cache of verified certificates");
    }
    cfaop_conn_use_cache(cache);
    apr_pool_cleanup_register(pconf, NULL, cfaop_ssl_forget_cache,
                              apr_pool_cleanup_null);
    return OK;
}
