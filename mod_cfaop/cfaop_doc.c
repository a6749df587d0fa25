/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apr_file_io.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_core.h"

#include "aop_cert.h"
#include "cfaop_config.h"
#include "cfaop_doc.h"
#include "cfaop_private.h"
#include "cfaop_version.h"

/* Lowercase hex SHA-256 of a certificate, in p; "" when it cannot be had. */
static const char *cfaop_doc_sha256(apr_pool_t *p, X509 *x)
{
    unsigned char d[AOP_SHA256_LEN];
    char *hex = apr_palloc(p, AOP_SHA256_HEXLEN);

    if (aop_cert_sha256(x, d) != 0) {
        return "";
    }
    aop_hex(d, AOP_SHA256_LEN, hex);
    return hex;
}

/* The facts every listing of a certificate carries. */
static void cfaop_doc_cert_facts(cfaop_json *j, X509 *x, time_t now)
{
    char *subject = aop_name_rfc2253(X509_get_subject_name(x));
    char date[32];
    int days;

    cfaop_json_string(j, "subject", subject);
    free(subject);
    cfaop_json_string(j, "not_after",
                      aop_cert_not_after_iso(x, date, sizeof(date)) == 0 ? date : NULL);
    if (aop_cert_days_left(x, now, &days) == 0) {
        cfaop_json_int(j, "days_left", days);
    }
    else {
        cfaop_json_null(j, "days_left");
    }
}

/* Who issued a CRL and until when it holds. */
static void cfaop_doc_crl_facts(cfaop_json *j, X509_CRL *crl, time_t now)
{
    char *issuer = aop_name_rfc2253(X509_CRL_get_issuer(crl));
    const ASN1_TIME *next = X509_CRL_get0_nextUpdate(crl);
    char date[32];
    int days;

    cfaop_json_string(j, "issuer", issuer);
    free(issuer);
    cfaop_json_string(j, "last_update",
                      aop_time_iso(X509_CRL_get0_lastUpdate(crl), date, sizeof(date)) == 0
                      ? date : NULL);
    cfaop_json_string(j, "next_update",
                      aop_time_iso(next, date, sizeof(date)) == 0 ? date : NULL);
    if (next && aop_time_days_left(next, now, &days) == 0) {
        cfaop_json_int(j, "days_left", days);
        cfaop_json_bool(j, "expired", X509_cmp_time(next, &now) < 0);
    }
    else {
        cfaop_json_null(j, "days_left");
        cfaop_json_bool(j, "expired", 0);
    }
}

static void cfaop_doc_policy(cfaop_json *j, apr_pool_t *p, const cfaop_policy *pol,
                             time_t now)
{
    char text[AOP_PIN_TEXTLEN], *colon;
    int i, k;

    cfaop_json_object(j, apr_itoa(p, pol->id));
    cfaop_json_array(j, "anchors");
    for (i = 0; i < pol->anchor_files->nelts; i++) {
        const cfaop_certfile *f = APR_ARRAY_IDX(pol->anchor_files, i,
                                                const cfaop_certfile *);

        for (k = 0; k < sk_X509_num(f->certs); k++) {
            X509 *x = sk_X509_value(f->certs, k);

            cfaop_json_object(j, NULL);
            cfaop_json_string(j, "sha256", cfaop_doc_sha256(p, x));
            cfaop_doc_cert_facts(j, x, now);
            cfaop_json_string(j, "source", f->builtin ? AOP_CLOUDFLARE_ANCHOR : f->name);
            cfaop_json_end(j);
        }
    }
    cfaop_json_end(j);
    cfaop_json_array(j, "pins");
    for (i = 0; i < pol->pins->nelts; i++) {
        const cfaop_pin *pin = &APR_ARRAY_IDX(pol->pins, i, cfaop_pin);

        aop_pin_format(&pin->pin, text);
        colon = strchr(text, ':');
        cfaop_json_object(j, NULL);
        cfaop_json_string(j, "type", apr_pstrndup(p, text, (apr_size_t)(colon - text)));
        cfaop_json_string(j, "value", colon + 1);
        if (pin->file) {
            X509 *x = sk_X509_value(pin->file->certs, pin->index);

            cfaop_json_string(j, "source", pin->file->name);
            cfaop_json_string(j, "certificate", cfaop_doc_sha256(p, x));
            cfaop_doc_cert_facts(j, x, now);
        }
        else {
            cfaop_json_string(j, "source", "inline");
        }
        cfaop_json_end(j);
    }
    cfaop_json_end(j);
    cfaop_json_array(j, "crls");
    for (i = 0; i < pol->crls->nelts; i++) {
        const cfaop_crlfile *f = APR_ARRAY_IDX(pol->crls, i, cfaop_crlref).file;

        for (k = 0; k < sk_X509_CRL_num(f->crls); k++) {
            cfaop_json_object(j, NULL);
            cfaop_doc_crl_facts(j, sk_X509_CRL_value(f->crls, k), now);
            cfaop_json_string(j, "source", f->name);
            cfaop_json_end(j);
        }
    }
    cfaop_json_end(j);
    cfaop_json_end(j);
}

typedef struct cfaop_doc_certs {
    apr_pool_t *p;
    apr_hash_t *by_sha256;
} cfaop_doc_certs;

static void cfaop_doc_collect(void *baton, X509 *x, int pin, const cfaop_certfile *file)
{
    cfaop_doc_certs *certs = baton;

    (void)pin;
    (void)file;
    apr_hash_set(certs->by_sha256, cfaop_doc_sha256(certs->p, x), APR_HASH_KEY_STRING, x);
}

static int cfaop_doc_strcmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a hash, sorted, so that the document is the same each time. */
static apr_array_header_t *cfaop_doc_sorted_keys(apr_pool_t *p, apr_hash_t *h)
{
    apr_array_header_t *keys = apr_array_make(p, h ? (int)apr_hash_count(h) : 0,
                                              sizeof(const char *));
    apr_hash_index_t *hi;

    for (hi = h ? apr_hash_first(p, h) : NULL; hi; hi = apr_hash_next(hi)) {
        APR_ARRAY_PUSH(keys, const char *) = apr_hash_this_key(hi);
    }
    qsort(keys->elts, (size_t)keys->nelts, sizeof(const char *), cfaop_doc_strcmp);
    return keys;
}

/* What every server entry says: names, where it listens, where it is defined. */
static void cfaop_doc_server(cfaop_json *j, apr_pool_t *p, server_rec *s)
{
    const server_addr_rec *a;
    int i;

    cfaop_json_string(j, "name", s->server_hostname);
    cfaop_json_int(j, "port", s->addrs && s->addrs->host_port ? s->addrs->host_port
                                                              : s->port);
    cfaop_json_array(j, "addresses");
    /* The main server answers where no <VirtualHost> claims an address. */
    for (a = s->is_virtual ? s->addrs : NULL; a; a = a->next) {
        cfaop_json_string(j, NULL, a->host_port
                          ? apr_psprintf(p, "%s:%u", a->virthost, (unsigned)a->host_port)
                          : apr_psprintf(p, "%s:*", a->virthost));
    }
    cfaop_json_end(j);
    cfaop_json_array(j, "aliases");
    for (i = 0; s->names && i < s->names->nelts; i++) {
        cfaop_json_string(j, NULL, APR_ARRAY_IDX(s->names, i, const char *));
    }
    for (i = 0; s->wild_names && i < s->wild_names->nelts; i++) {
        cfaop_json_string(j, NULL, APR_ARRAY_IDX(s->wild_names, i, const char *));
    }
    cfaop_json_end(j);
    cfaop_json_string(j, "file", s->defn_name);
    if (s->defn_name) {
        cfaop_json_int(j, "line", s->defn_line_number);
    }
    else {
        cfaop_json_null(j, "line");
    }
    cfaop_json_bool(j, "main_server", !s->is_virtual);
}

static void cfaop_doc_vhost(cfaop_json *j, apr_pool_t *p, server_rec *s,
                            const cfaop_srv_conf *sc)
{
    apr_array_header_t *names = cfaop_doc_sorted_keys(p, sc->host_policies);
    int i;

    cfaop_doc_server(j, p, s);
    cfaop_json_string(j, "mode", cfaop_config_mode(sc) == CFAOP_MODE_REPORT
                                 ? "report" : "enforce");
    cfaop_json_object(j, "zone");
    cfaop_json_int(j, "policy", sc->zone_policy ? sc->zone_policy->id : 0);
    cfaop_json_end(j);
    cfaop_json_object(j, "hostnames");
    for (i = 0; i < names->nelts; i++) {
        const char *name = APR_ARRAY_IDX(names, i, const char *);
        const cfaop_policy *pol = apr_hash_get(sc->host_policies, name, APR_HASH_KEY_STRING);
        const cfaop_hostrule *rule = apr_hash_get(sc->hostrules, name, APR_HASH_KEY_STRING);

        cfaop_json_object(j, name);
        cfaop_json_int(j, "policy", pol->id);
        cfaop_json_string(j, "file", rule ? rule->origin.file : NULL);
        cfaop_json_int(j, "line", rule ? rule->origin.line : 0);
        cfaop_json_end(j);
    }
    cfaop_json_end(j);
}

apr_status_t cfaop_doc_write(cfaop_json *j, apr_pool_t *p, server_rec *main_server,
                             const char *source, cfaop_doc_vhost_fn *vhost_fn,
                             void *baton)
{
    cfaop_registry *reg = cfaop_registry_get(main_server->process->pconf);
    const apr_array_header_t *policies = cfaop_registry_policies(reg);
    cfaop_doc_certs certs;
    apr_array_header_t *shas;
    time_t now = apr_time_sec(apr_time_now());
    char stamp[APR_RFC822_DATE_LEN];
    struct tm tm;
    server_rec *s;
    int i, open;

    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    cfaop_json_object(j, NULL);
    cfaop_json_string(j, "format", CFAOP_DOC_FORMAT);
    cfaop_json_string(j, "generator", "mod_cfaop/" CFAOP_VERSION);
    cfaop_json_string(j, "source", source);
    cfaop_json_string(j, "generated", stamp);
    for (open = 0; open <= 1; open++) {
        cfaop_json_array(j, open ? "open" : "vhosts");
        for (s = main_server; s; s = s->next) {
            const cfaop_srv_conf *sc = cfaop_config_get(s);

            if (cfaop_config_enabled(sc) == open) {
                continue;
            }
            cfaop_json_object(j, NULL);
            if (open) {
                cfaop_doc_server(j, p, s);
            }
            else {
                cfaop_doc_vhost(j, p, s, sc);
            }
            if (vhost_fn) {
                vhost_fn(j, s, baton);
            }
            cfaop_json_end(j);
        }
        cfaop_json_end(j);
    }
    cfaop_json_object(j, "policies");
    for (i = 0; i < policies->nelts; i++) {
        cfaop_doc_policy(j, p, APR_ARRAY_IDX(policies, i, const cfaop_policy *), now);
    }
    cfaop_json_end(j);
    cfaop_json_object(j, "certificates");
    certs.p = p;
    certs.by_sha256 = apr_hash_make(p);
    cfaop_registry_each_cert(reg, cfaop_doc_collect, &certs);
    shas = cfaop_doc_sorted_keys(p, certs.by_sha256);
    for (i = 0; i < shas->nelts; i++) {
        const char *sha = APR_ARRAY_IDX(shas, i, const char *);
        X509 *x = apr_hash_get(certs.by_sha256, sha, APR_HASH_KEY_STRING);
        char *pem = aop_cert_to_pem(x);
        char *issuer = aop_name_rfc2253(X509_get_issuer_name(x));

        cfaop_json_object(j, sha);
        cfaop_doc_cert_facts(j, x, now);
        cfaop_json_string(j, "issuer", issuer);
        cfaop_json_bool(j, "ca", aop_cert_is_ca(x));
        cfaop_json_string(j, "pem", pem);
        cfaop_json_end(j);
        free(pem);
        free(issuer);
    }
    cfaop_json_end(j);
    cfaop_json_end(j);
    return cfaop_json_finish(j);
}

static apr_status_t cfaop_doc_to_file(void *baton, const char *data, apr_size_t len)
{
    return apr_file_write_full(baton, data, len, NULL);
}

void cfaop_doc_dump(apr_pool_t *pconf, server_rec *s)
{
    apr_file_t *out;
    apr_status_t rv;

    if (!ap_exists_config_define("DUMP_CFAOP")) {
        return;
    }
    rv = apr_file_open_stdout(&out, pconf);
    if (rv == APR_SUCCESS) {
        rv = cfaop_doc_write(cfaop_json_make(pconf, cfaop_doc_to_file, out), pconf, s,
                             "configuration", NULL, NULL);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, CFAOP_LOGNO(00019)
                     "cannot write the policy document to standard output");
        /* A cut document must not come with "Syntax OK" and status 0. */
        exit(1);
    }
}
