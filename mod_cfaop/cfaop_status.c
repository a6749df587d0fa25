/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdlib.h>
#include <string.h>

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_shm.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"

#include "aop_cert.h"
#include "cfaop_doc.h"
#include "cfaop_private.h"
#include "cfaop_status.h"

#define CFAOP_STATUS_HANDLER "cfaop-status"

/* Every reason a request can fail for; a counter slot and a metric label
 * each. An unlisted reason counts as "other": labels stay bounded. */
static const char *const cfaop_status_reasons[] = {
    "no-certificate", "untrusted", "pin-mismatch", "expired", "not-yet-valid",
    "revoked", "unsupported-algorithm", "misdirected", "no-tls", "not-configured",
    "internal-error", "other"
};
#define CFAOP_STATUS_NREASONS \
    ((int)(sizeof(cfaop_status_reasons) / sizeof(cfaop_status_reasons[0])))
#define CFAOP_STATUS_OTHER (CFAOP_STATUS_NREASONS - 1)

static const char *const cfaop_status_scopes[] = { "zone", "hostname" };

typedef struct cfaop_counters {
    apr_uint64_t accepted;
    apr_uint64_t rejected[CFAOP_STATUS_NREASONS];
    apr_uint64_t reported[CFAOP_STATUS_NREASONS]; /* report mode, would reject */
} cfaop_counters;

/* Shared memory of this generation: [enabled vhost][scope]. Made by the
 * parent before the children fork; NULL when it could not be made. */
static cfaop_counters *cfaop_status_base;
static int cfaop_status_nvhosts;
static apr_time_t cfaop_status_since;

static cfaop_counters *cfaop_status_slot(const cfaop_srv_conf *sc, int scope)
{
    if (!cfaop_status_base || sc->index < 0 || sc->index >= cfaop_status_nvhosts) {
        return NULL;
    }
    return &cfaop_status_base[sc->index * 2 + (scope ? 1 : 0)];
}

void cfaop_status_count(const cfaop_srv_conf *sc, int hostname_scope, int report,
                        const char *reason)
{
    cfaop_counters *c = cfaop_status_slot(sc, hostname_scope);
    int i;

    if (!c) {
        return;
    }
    if (!reason) {
        apr_atomic_inc64(&c->accepted);
        return;
    }
    for (i = 0; i < CFAOP_STATUS_OTHER && strcmp(reason, cfaop_status_reasons[i]); i++) {
    }
    apr_atomic_inc64(report ? &c->reported[i] : &c->rejected[i]);
}

static apr_status_t cfaop_status_forget(void *data)
{
    (void)data;
    cfaop_status_base = NULL;
    cfaop_status_nvhosts = 0;
    return APR_SUCCESS;
}

int cfaop_status_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    apr_shm_t *shm;
    apr_size_t size;
    apr_status_t rv;
    int n = 0;
    server_rec *v;

    (void)plog;
    (void)ptemp;
    for (v = s; v; v = v->next) {
        cfaop_srv_conf *sc = cfaop_config_get(v);

        sc->index = cfaop_config_enabled(sc) ? n++ : -1;
    }
    cfaop_status_base = NULL;
    cfaop_status_nvhosts = 0;
    cfaop_status_since = apr_time_now();
    if (n == 0) {
        return OK;
    }
    size = (apr_size_t)n * 2 * sizeof(cfaop_counters);
    rv = apr_shm_create(&shm, size, NULL, pconf);
    if (rv != APR_SUCCESS) {
        /* Not fatal: a failed post_config would take a running server down
         * on graceful restart. The handler then says counters are off. */
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, CFAOP_LOGNO(00021)
                     "cannot create shared memory for the counters of %d "
                     "virtual hosts; cfaop-status serves no counters", n);
        return OK;
    }
    cfaop_status_base = apr_shm_baseaddr_get(shm);
#if !APR_USE_SHMEM_MMAP_ANON
    memset(cfaop_status_base, 0, size);
#endif
    /* An anonymous shared mapping is zero-filled by the kernel: writing the
     * zeros would make every page of the counters resident in the parent
     * (336 bytes per enabled vhost, 3.3 MB at 10,000) before any child
     * counts anything. */
    cfaop_status_nvhosts = n;
    apr_pool_cleanup_register(pconf, NULL, cfaop_status_forget, apr_pool_cleanup_null);
    return OK;
}

/* ------------------------------------------------------------------ */
/* the policy document with counters                                   */

static void cfaop_status_reason_counts(cfaop_json *j, const char *key,
                                       const apr_uint64_t *counts)
{
    int i;

    cfaop_json_object(j, key);
    for (i = 0; i < CFAOP_STATUS_NREASONS; i++) {
        cfaop_json_int(j, cfaop_status_reasons[i],
                       (apr_int64_t)apr_atomic_read64((volatile apr_uint64_t *)&counts[i]));
    }
    cfaop_json_end(j);
}

static void cfaop_status_vhost(cfaop_json *j, server_rec *s, void *baton)
{
    const cfaop_srv_conf *sc = cfaop_config_get(s);
    int scope;

    (void)baton;
    if (!cfaop_config_enabled(sc)) {
        return;
    }
    cfaop_json_bool(j, "tls", sc->tls);
    if (!cfaop_status_slot(sc, 0)) {
        cfaop_json_null(j, "counters");
        return;
    }
    cfaop_json_object(j, "counters");
    for (scope = 0; scope <= 1; scope++) {
        cfaop_counters *c = cfaop_status_slot(sc, scope);

        cfaop_json_object(j, cfaop_status_scopes[scope]);
        cfaop_json_int(j, "accepted", (apr_int64_t)apr_atomic_read64(&c->accepted));
        cfaop_status_reason_counts(j, "rejected", c->rejected);
        cfaop_status_reason_counts(j, "reported", c->reported);
        cfaop_json_end(j);
    }
    cfaop_json_end(j);
}

static apr_status_t cfaop_status_to_response(void *baton, const char *data, apr_size_t len)
{
    return ap_rwrite(data, (int)len, baton) < 0 ? APR_EGENERAL : APR_SUCCESS;
}

/* ------------------------------------------------------------------ */
/* the Prometheus text format                                          */

/* A label value as the text format wants it escaped. */
static const char *cfaop_status_label(apr_pool_t *p, const char *v)
{
    char *out = apr_palloc(p, 2 * strlen(v) + 1), *o = out;

    for (; *v; v++) {
        if (*v == '\\' || *v == '"') {
            *o++ = '\\';
            *o++ = *v;
        }
        else if (*v == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        }
        else {
            *o++ = *v;
        }
    }
    *o = '\0';
    return out;
}

static void cfaop_status_sample(request_rec *r, const char *vhost, const char *scope,
                                const char *verdict, const char *reason,
                                apr_uint64_t value)
{
    ap_rprintf(r, "cfaop_requests_total{vhost=\"%s\",scope=\"%s\",verdict=\"%s\","
               "reason=\"%s\"} %" APR_UINT64_T_FMT "\n", vhost, scope, verdict,
               reason, value);
}

typedef struct cfaop_status_certs {
    request_rec *r;
    apr_hash_t *seen;
} cfaop_status_certs;

static void cfaop_status_cert_gauge(void *baton, X509 *x, int pin,
                                    const cfaop_certfile *file)
{
    cfaop_status_certs *cs = baton;
    request_rec *r = cs->r;
    unsigned char d[AOP_SHA256_LEN];
    char hex[AOP_SHA256_HEXLEN], *subject;
    time_t not_before, not_after;
    const char *key;

    if (aop_cert_sha256(x, d) != 0 || aop_cert_bounds(x, &not_before, &not_after) != 0) {
        return;
    }
    aop_hex(d, AOP_SHA256_LEN, hex);
    key = apr_pstrcat(r->pool, hex, pin ? "p" : "a", NULL);
    if (apr_hash_get(cs->seen, key, APR_HASH_KEY_STRING)) {
        return;
    }
    apr_hash_set(cs->seen, key, APR_HASH_KEY_STRING, key);
    subject = aop_name_rfc2253(X509_get_subject_name(x));
    ap_rprintf(r, "cfaop_certificate_expiry_timestamp_seconds{role=\"%s\",sha256=\"%s\","
               "subject=\"%s\",source=\"%s\"} %" APR_INT64_T_FMT "\n",
               pin ? "pin" : "anchor", hex,
               cfaop_status_label(r->pool, subject ? subject : ""),
               cfaop_status_label(r->pool, file->builtin ? AOP_CLOUDFLARE_ANCHOR : file->name),
               (apr_int64_t)not_after);
    free(subject);
}

static void cfaop_status_crl_gauge(void *baton, X509_CRL *crl, const cfaop_crlfile *file)
{
    request_rec *r = ((cfaop_status_certs *)baton)->r;
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    char *issuer;
    time_t t;

    if (!next || aop_time_epoch(next, &t) != 0) {
        return;
    }
    issuer = aop_name_rfc2253(X509_CRL_get_issuer(crl));
    ap_rprintf(r, "cfaop_crl_next_update_timestamp_seconds{issuer=\"%s\",source=\"%s\"} "
               "%" APR_INT64_T_FMT "\n", cfaop_status_label(r->pool, issuer ? issuer : ""),
               cfaop_status_label(r->pool, file->name), (apr_int64_t)t);
    free(issuer);
}

static void cfaop_status_prometheus(request_rec *r)
{
    cfaop_registry *reg = cfaop_registry_get(r->server->process->pconf);
    cfaop_status_certs cs;
    server_rec *s;
    int scope, i;

    ap_set_content_type(r, "text/plain; version=0.0.4; charset=utf-8");
    ap_rputs("# HELP cfaop_requests_total Requests judged by mod_cfaop since the "
             "configuration was loaded, by virtual host, scope, verdict and reason.\n"
             "# TYPE cfaop_requests_total counter\n", r);
    for (s = ap_server_conf; s && cfaop_status_base; s = s->next) {
        const cfaop_srv_conf *sc = cfaop_config_get(s);
        const char *vhost;

        if (!cfaop_config_enabled(sc)) {
            continue;
        }
        vhost = cfaop_status_label(r->pool, apr_psprintf(r->pool, "%s:%u",
                                   CFAOP_SNAME(s), (unsigned)(s->addrs && s->addrs->host_port
                                                  ? s->addrs->host_port : s->port)));
        for (scope = 0; scope <= 1; scope++) {
            cfaop_counters *c = cfaop_status_slot(sc, scope);

            cfaop_status_sample(r, vhost, cfaop_status_scopes[scope], "accepted", "",
                                apr_atomic_read64(&c->accepted));
            for (i = 0; i < CFAOP_STATUS_NREASONS; i++) {
                cfaop_status_sample(r, vhost, cfaop_status_scopes[scope], "rejected",
                                    cfaop_status_reasons[i],
                                    apr_atomic_read64(&c->rejected[i]));
                cfaop_status_sample(r, vhost, cfaop_status_scopes[scope], "reported",
                                    cfaop_status_reasons[i],
                                    apr_atomic_read64(&c->reported[i]));
            }
        }
    }
    ap_rprintf(r, "# HELP cfaop_counters_start_timestamp_seconds When the counters "
               "started: the last start or graceful restart.\n"
               "# TYPE cfaop_counters_start_timestamp_seconds gauge\n"
               "cfaop_counters_start_timestamp_seconds %" APR_INT64_T_FMT "\n",
               (apr_int64_t)apr_time_sec(cfaop_status_since));
    ap_rputs("# HELP cfaop_certificate_expiry_timestamp_seconds notAfter of each trust "
             "anchor and pinned certificate of the loaded policies.\n"
             "# TYPE cfaop_certificate_expiry_timestamp_seconds gauge\n", r);
    cs.r = r;
    cs.seen = apr_hash_make(r->pool);
    cfaop_registry_each_cert(reg, cfaop_status_cert_gauge, &cs);
    ap_rputs("# HELP cfaop_crl_next_update_timestamp_seconds nextUpdate of each CRL of "
             "the loaded policies: past it, its CA's certificates are refused.\n"
             "# TYPE cfaop_crl_next_update_timestamp_seconds gauge\n", r);
    cfaop_registry_each_crl(reg, cfaop_status_crl_gauge, &cs);
}

int cfaop_status_handler(request_rec *r)
{
    const char *format;
    apr_status_t rv;

    if (!r->handler || strcmp(r->handler, CFAOP_STATUS_HANDLER)) {
        return DECLINED;
    }
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    format = r->args ? ap_strstr_c(r->args, "format=") : NULL;
    if (format && !strncmp(format + 7, "prometheus", 10)) {
        cfaop_status_prometheus(r);
        return OK;
    }
    ap_set_content_type(r, "application/json");
    rv = cfaop_doc_write(cfaop_json_make(r->pool, cfaop_status_to_response, r), r->pool,
                         ap_server_conf, "running", cfaop_status_vhost, NULL);
    return rv == APR_SUCCESS ? OK : DONE;
}
