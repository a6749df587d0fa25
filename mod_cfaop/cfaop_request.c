/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include "apr_strings.h"

#include <openssl/crypto.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"

#include "cfaop_config.h"
#include "cfaop_conn.h"
#include "cfaop_edge.h"
#include "cfaop_private.h"
#include "cfaop_request.h"
#include "cfaop_ssl.h"
#include "cfaop_status.h"

typedef struct cfaop_decision {
    const request_rec *r; /* the request it was made for */
    const char *verify;   /* SUCCESS, NONE or FAILED */
    const char *reason;   /* NULL on SUCCESS */
    const char *scope;    /* zone or hostname */
    int hostname_scope;
    int policy_id;
    int status;           /* 0 when the request passes, else 403 or 421 */
    int report;           /* report mode: logged, never refused */
    int late;             /* made after mod_ssl's access check */
    int tell_tls;         /* SSL_CLIENT_VERIFY is ours to tell */
    long tls_error;       /* what it tells */
    cfaop_peer peer;
} cfaop_decision;

static const char *cfaop_request_detail(request_rec *r, const cfaop_decision *d)
{
    const aop_result *res = &d->peer.result;

    if (res->verdict == AOP_VERDICT_UNSUPPORTED_ALGORITHM) {
        const char *needs = aop_algorithm_openssl_version(res->chain.unsupported);

        return apr_psprintf(r->pool, " (%s is not supported by %s; it needs %s%s)",
                            res->chain.unsupported, OpenSSL_version(OPENSSL_VERSION),
                            needs ? "OpenSSL " : "a newer OpenSSL", needs ? needs : "");
    }
    if (res->verdict == AOP_VERDICT_UNTRUSTED || res->verdict == AOP_VERDICT_REVOKED) {
        return apr_psprintf(r->pool, " (%s, depth %d)",
                            X509_verify_cert_error_string(res->chain.error),
                            res->chain.depth);
    }
    if (d->status == HTTP_MISDIRECTED_REQUEST) {
        return apr_psprintf(r->pool, " (%s; the TLS handshake was for another "
                            "virtual host)", aop_verdict_reason(res->verdict));
    }
    return "";
}

/* A certificate that our handshake asked for and mod_ssl did not verify
 * itself: the TLS layer's verify result describes our verification. */
static int cfaop_request_cert_is_ours(const cfaop_peer *peer)
{
    return peer->has_cert && !peer->by_modssl
           && cfaop_ssl_ctx_is_ours(peer->handshake_ctx);
}

static cfaop_decision *cfaop_request_judge(request_rec *r,
                                           const cfaop_srv_conf *sc)
{
    cfaop_decision *d = apr_pcalloc(r->pool, sizeof(*d));
    cfaop_conn *cc = cfaop_conn_get(r->connection);
    const cfaop_policy *policy;
    int hostname_scope = 0;

    d->r = r;
    d->report = cfaop_config_mode(sc) == CFAOP_MODE_REPORT;
    policy = cfaop_config_select(sc, r->hostname, &hostname_scope);
    d->hostname_scope = hostname_scope;
    d->scope = hostname_scope ? "hostname" : "zone";
    d->policy_id = policy ? policy->id : 0;
    d->peer.result.verdict = AOP_VERDICT_NO_CERT;
    if (!policy) {
        d->peer.result.verdict = AOP_VERDICT_INTERNAL;
    }
    else if (cc) {
        cfaop_conn_judge(cc, r, policy->core, &d->peer);
    }
    d->tell_tls = cfaop_request_cert_is_ours(&d->peer);
    d->tls_error = aop_result_x509_error(&d->peer.result);
    if (d->peer.result.verdict == AOP_VERDICT_OK && sc->ctx_hooked) {
        d->verify = "SUCCESS";
        return d;
    }
    d->verify = d->peer.has_cert ? "FAILED" : "NONE";
    d->status = HTTP_FORBIDDEN;
    if (!d->peer.tls) {
        d->reason = "no-tls";
    }
    else if (!sc->ctx_hooked) {
        /* TLS, but this vhost's handshake never asked for a certificate. */
        d->reason = "not-configured";
    }
    else {
        d->reason = aop_verdict_reason(d->peer.result.verdict);
        /* Negotiated for another vhost (SNI != Host, or no SNI): the client
         * may retry on a connection made for this one. */
        if (cfaop_ssl_ctx_conf(d->peer.handshake_ctx) != sc) {
            d->reason = "misdirected";
            d->status = HTTP_MISDIRECTED_REQUEST;
        }
    }
    return d;
}

static const char *const cfaop_request_var_names[] = {
    "CFAOP_VERIFY", "CFAOP_VERIFY_ERROR", "CFAOP_SCOPE", "CFAOP_CLIENT_SHA256",
    "CFAOP_CLIENT_S_DN", "CFAOP_CLIENT_I_DN", "CFAOP_CLIENT_V_END", NULL
};

/* Our variables say what this judgement found and nothing else: one set
 * before it (by SetEnvIf from a request header, or by an earlier judgement
 * of the request) is removed. One look over the table, then each variable
 * added without a search: setting each would compare it with every
 * CFAOP_ name already there, as they all hash alike. */
static void cfaop_request_set_vars(request_rec *r, const cfaop_decision *d)
{
    apr_table_t *env = r->subprocess_env;
    const apr_array_header_t *arr = apr_table_elts(env);
    const apr_table_entry_t *elts = (const apr_table_entry_t *)arr->elts;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (elts[i].key && !ap_cstr_casecmpn(elts[i].key, "CFAOP_", 6)) {
            const char *const *name;

            for (name = cfaop_request_var_names; *name; name++) {
                apr_table_unset(env, *name);
            }
            break;
        }
    }
    apr_table_addn(env, "CFAOP_VERIFY", d->verify);
    if (d->reason) {
        apr_table_addn(env, "CFAOP_VERIFY_ERROR", d->reason);
    }
    apr_table_addn(env, "CFAOP_SCOPE", d->scope);
    if (d->peer.has_cert && d->peer.sha256_hex) {
        apr_table_addn(env, "CFAOP_CLIENT_SHA256", d->peer.sha256_hex);
        apr_table_addn(env, "CFAOP_CLIENT_S_DN", d->peer.subject_dn);
        apr_table_addn(env, "CFAOP_CLIENT_I_DN", d->peer.issuer_dn);
        apr_table_addn(env, "CFAOP_CLIENT_V_END", d->peer.not_after);
    }
}

/* SSL_CLIENT_VERIFY, as mod_ssl reports it, agrees with CFAOP_VERIFY for a
 * certificate we asked for: SUCCESS only when this request's policy accepts
 * it. Renewed after mod_ssl's access check, which resets the verify result
 * on TLS 1.2. 0 when the connection's certificate is no longer the one `d`
 * judged. */
static int cfaop_request_tell_tls(request_rec *r, const cfaop_decision *d)
{
    cfaop_conn *cc = cfaop_conn_get(r->connection);

    return !cc || cfaop_conn_tell_tls(cc, &d->peer, d->tell_tls, d->tls_error,
                                      r->connection->master != NULL);
}

static void cfaop_request_log(request_rec *r, const cfaop_decision *d)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CFAOP_LOGNO(00016)
                  "%s: vhost=%s:%u hostname=%s scope=%s policy=%d "
                  "reason=%s%s leaf_sha256=%s",
                  d->report ? "report mode, would reject"
                            : apr_psprintf(r->pool, "rejected with %d", d->status),
                  r->server->server_hostname ? r->server->server_hostname : "-",
                  (unsigned)(r->server->port ? r->server->port
                                             : r->connection->local_addr->port),
                  r->hostname ? r->hostname : "-",
                  d->scope, d->policy_id, d->reason, cfaop_request_detail(r, d),
                  d->peer.sha256_hex ? d->peer.sha256_hex : "-");
}

/* Judges r and makes the decision r's; the status to return. */
static int cfaop_request_decide(request_rec *r, cfaop_srv_conf *sc, int late)
{
    cfaop_decision *d = cfaop_request_judge(r, sc);

    d->late = late;
    ap_set_module_config(r->request_config, &cfaop_module, d);
    cfaop_request_set_vars(r, d);
    cfaop_request_tell_tls(r, d);
    cfaop_edge_apply(r, sc, d->status == 0);
    cfaop_status_count(sc, d->hostname_scope, d->report, d->reason);
    if (d->status == 0) {
        return DECLINED;
    }
    cfaop_request_log(r, d);
    return d->report ? DECLINED : d->status;
}

/* The decision that holds for r: its own, or that of the request it is an
 * internal redirect or a subrequest of. */
static const cfaop_decision *cfaop_request_decision(request_rec *r)
{
    const cfaop_decision *d = NULL;

    for (; r && !d; r = r->prev ? r->prev : r->main) {
        d = ap_get_module_config(r->request_config, &cfaop_module);
    }
    return d;
}

/*
 * A vhost without mod_cfaop, reached on a connection whose certificate our
 * handshake asked for (SNI or no-SNI default on an enabled vhost, Host
 * another): mod_ssl would take our verification for its own, so the
 * request is refused with 421 and the client opens a connection for this
 * vhost, where mod_ssl asks for itself.
 */
static int cfaop_request_foreign(request_rec *r)
{
    cfaop_conn *cc = cfaop_conn_get(r->connection);
    const cfaop_srv_conf *hs;
    cfaop_peer peer;

    if (!cc) {
        return DECLINED;
    }
    cfaop_conn_state(cc, &peer, r->connection->master != NULL);
    if (!cfaop_request_cert_is_ours(&peer)) {
        return DECLINED;
    }
    hs = cfaop_ssl_ctx_conf(peer.handshake_ctx);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CFAOP_LOGNO(00017)
                  "rejected with 421: vhost=%s hostname=%s has no CFAOPEngine, "
                  "but the connection carries a client certificate that "
                  "mod_cfaop asked for on behalf of virtual host %s",
                  CFAOP_SNAME(r->server), r->hostname ? r->hostname : "-",
                  hs ? CFAOP_SNAME(hs->server) : "-");
    return HTTP_MISDIRECTED_REQUEST;
}

int cfaop_request_check(request_rec *r)
{
    cfaop_srv_conf *sc = cfaop_config_get(r->server);
    const cfaop_decision *d;

    if (!cfaop_config_enabled(sc)) {
        if (!ap_is_initial_req(r)) {
            return DECLINED;
        }
        /* No request to a vhost without the engine passed a policy. */
        cfaop_edge_apply(r, sc, 0);
        return cfaop_request_foreign(r);
    }
    /* Not re-judged, but a redirect without a judged original is judged. */
    if (!ap_is_initial_req(r) && (d = cfaop_request_decision(r)) != NULL) {
        ap_set_module_config(r->request_config, &cfaop_module, (void *)d);
        cfaop_request_set_vars(r, d);
        cfaop_request_tell_tls(r, d);
        return DECLINED;
    }
    return cfaop_request_decide(r, sc, 0);
}

int cfaop_request_access(request_rec *r)
{
    cfaop_srv_conf *sc = cfaop_config_get(r->server);
    const cfaop_decision *d;

    if (!cfaop_config_enabled(sc) || !(d = cfaop_request_decision(r))
        || cfaop_request_tell_tls(r, d)) {
        return DECLINED;
    }
    /* mod_ssl asked the client again, for an SSLVerifyClient of its own:
     * the decision was about the previous certificate. */
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, CFAOP_LOGNO(00018)
                  "the client certificate changed during mod_ssl's access "
                  "check (renegotiation or post-handshake authentication); "
                  "judging the request again");
    return cfaop_request_decide(r, sc, 1);
}

int cfaop_request_fixups(request_rec *r)
{
    const cfaop_decision *d = ap_get_module_config(r->request_config,
                                                   &cfaop_module);

    /* A refusal from the access phase can be overridden by "Satisfy Any";
     * from here it cannot. */
    if (d && d->r == r && d->late && d->status && !d->report) {
        return d->status;
    }
    return DECLINED;
}
