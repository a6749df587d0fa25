/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_request.h"

#include "cfaop_config.h"
#include "cfaop_log.h"
#include "cfaop_request.h"
#include "cfaop_ssl.h"

APLOG_USE_MODULE(cfaop);
extern module AP_MODULE_DECLARE_DATA cfaop_module;

typedef struct cfaop_decision {
    const char *verify;   /* SUCCESS, NONE or FAILED */
    const char *reason;   /* NULL on SUCCESS */
    const char *scope;    /* zone or hostname */
    int policy_id;
    int status;           /* 0 when the request passes, else 403 or 421 */
    cfaop_peer peer;
} cfaop_decision;

static const char *cfaop_request_detail(request_rec *r, const cfaop_decision *d)
{
    const aop_result *res = &d->peer.result;

    if (res->verdict == AOP_VERDICT_UNTRUSTED) {
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

static cfaop_decision *cfaop_request_judge(request_rec *r, const cfaop_srv_conf *sc)
{
    cfaop_decision *d = apr_pcalloc(r->pool, sizeof(*d));
    const cfaop_policy *policy;
    int hostname_scope = 0;

    policy = cfaop_config_select(sc, r->hostname, &hostname_scope);
    d->scope = hostname_scope ? "hostname" : "zone";
    d->policy_id = policy ? policy->id : 0;
    if (!policy) {
        d->peer.result.verdict = AOP_VERDICT_INTERNAL;
    }
    else {
        cfaop_ssl_judge(r, policy->core, &d->peer);
    }
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
        if (d->peer.handshake_ctx != sc->ssl_ctx) {
            d->reason = "misdirected";
            d->status = HTTP_MISDIRECTED_REQUEST;
        }
    }
    return d;
}

static void cfaop_request_set_vars(request_rec *r, const cfaop_decision *d)
{
    apr_table_t *env = r->subprocess_env;

    apr_table_setn(env, "CFAOP_VERIFY", d->verify);
    if (d->reason) {
        apr_table_setn(env, "CFAOP_VERIFY_ERROR", d->reason);
    }
    apr_table_setn(env, "CFAOP_SCOPE", d->scope);
    if (d->peer.has_cert && d->peer.sha256_hex) {
        apr_table_setn(env, "CFAOP_CLIENT_SHA256", d->peer.sha256_hex);
        apr_table_setn(env, "CFAOP_CLIENT_S_DN", d->peer.subject_dn);
        apr_table_setn(env, "CFAOP_CLIENT_I_DN", d->peer.issuer_dn);
        apr_table_setn(env, "CFAOP_CLIENT_V_END", d->peer.not_after);
    }
}

static void cfaop_request_log(request_rec *r, const cfaop_decision *d, int report)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CFAOP_LOGNO(30)
                  "%s: vhost=%s:%u hostname=%s scope=%s policy=%d "
                  "reason=%s%s leaf_sha256=%s",
                  report ? "report mode, would reject"
                         : apr_psprintf(r->pool, "rejected with %d", d->status),
                  r->server->server_hostname ? r->server->server_hostname : "-",
                  (unsigned)(r->server->port ? r->server->port
                                             : r->connection->local_addr->port),
                  r->hostname ? r->hostname : "-",
                  d->scope, d->policy_id, d->reason, cfaop_request_detail(r, d),
                  d->peer.sha256_hex ? d->peer.sha256_hex : "-");
}

/* The decision of the request an internal redirect came from. */
static const cfaop_decision *cfaop_request_original(request_rec *r)
{
    const cfaop_decision *d = NULL;

    for (r = r->prev ? r->prev : r->main; r && !d; r = r->prev ? r->prev : r->main) {
        d = ap_get_module_config(r->request_config, &cfaop_module);
    }
    return d;
}

int cfaop_request_check(request_rec *r)
{
    const cfaop_srv_conf *sc = cfaop_config_get(r->server);
    const cfaop_decision *d = NULL;
    cfaop_decision *fresh;
    int report;

    if (!cfaop_config_enabled(sc)) {
        return DECLINED;
    }
    /* Not re-judged, but a redirect without a judged original is judged. */
    if (!ap_is_initial_req(r) && (d = cfaop_request_original(r)) != NULL) {
        ap_set_module_config(r->request_config, &cfaop_module, (void *)d);
        cfaop_request_set_vars(r, d);
        return DECLINED;
    }
    fresh = cfaop_request_judge(r, sc);
    ap_set_module_config(r->request_config, &cfaop_module, fresh);
    cfaop_request_set_vars(r, fresh);
    if (fresh->status == 0) {
        return DECLINED;
    }
    report = cfaop_config_mode(sc) == CFAOP_MODE_REPORT;
    cfaop_request_log(r, fresh, report);
    return report ? DECLINED : fresh->status;
}
