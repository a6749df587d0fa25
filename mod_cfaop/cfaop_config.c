/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <string.h>
#include <time.h>

#include "apr_fnmatch.h"
#include "apr_hash.h"
#include "apr_lib.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "util_cfgtree.h"

#include "aop_hostname.h"
#include "cfaop_config.h"
#include "cfaop_private.h"

/* Anchors and pins closer to expiry than this are reported by configtest. */
#define CFAOP_EXPIRY_WARN_DAYS 30

void *cfaop_config_create_srv(apr_pool_t *p, server_rec *s)
{
    cfaop_srv_conf *sc = apr_pcalloc(p, sizeof(*sc));

    sc->engine = CFAOP_UNSET;
    sc->mode = CFAOP_UNSET;
    sc->server = s;
    return sc;
}

#define CFAOP_MERGE_INT(base, add, field) \
    ((add)->field == CFAOP_UNSET ? (base)->field : (add)->field)
#define CFAOP_MERGE_PTR(base, add, field) \
    ((add)->field ? (add)->field : (base)->field)

void *cfaop_config_merge_srv(apr_pool_t *p, void *basev, void *addv)
{
    const cfaop_srv_conf *base = basev, *add = addv;
    cfaop_srv_conf *sc = apr_pcalloc(p, sizeof(*sc));

    sc->engine = CFAOP_MERGE_INT(base, add, engine);
    sc->mode = CFAOP_MERGE_INT(base, add, mode);
    sc->engine_origin = add->engine != CFAOP_UNSET ? add->engine_origin
                                                   : base->engine_origin;
    sc->anchor_files = CFAOP_MERGE_PTR(base, add, anchor_files);
    sc->pins = CFAOP_MERGE_PTR(base, add, pins);
    sc->crls = CFAOP_MERGE_PTR(base, add, crls);
    /* Hostname rules are inherited one hostname at a time; the vhost's own
     * rules for a hostname replace the inherited ones. */
    if (base->hostrules && add->hostrules) {
        sc->hostrules = apr_hash_overlay(p, add->hostrules, base->hostrules);
    }
    else {
        sc->hostrules = CFAOP_MERGE_PTR(base, add, hostrules);
    }
    sc->remote_ip_header = CFAOP_MERGE_PTR(base, add, remote_ip_header);
    sc->edge_headers = CFAOP_MERGE_PTR(base, add, edge_headers);
    sc->rules_origin = add->rules_origin;
    sc->server = add->server;
    return sc;
}

cfaop_srv_conf *cfaop_config_get(server_rec *s)
{
    return ap_get_module_config(s->module_config, &cfaop_module);
}

int cfaop_config_enabled(const cfaop_srv_conf *sc)
{
    return sc->engine == 1;
}

cfaop_mode cfaop_config_mode(const cfaop_srv_conf *sc)
{
    return sc->mode == CFAOP_MODE_REPORT ? CFAOP_MODE_REPORT : CFAOP_MODE_ENFORCE;
}

const cfaop_policy *cfaop_config_select(const cfaop_srv_conf *sc,
                                        const char *hostname, int *hostname_scope)
{
    char norm[AOP_HOSTNAME_MAX];
    const cfaop_policy *pol = NULL;

    if (hostname && sc->host_policies
        && aop_hostname_normalize(hostname, 1, norm) == 0) {
        pol = apr_hash_get(sc->host_policies, norm, APR_HASH_KEY_STRING);
    }
    *hostname_scope = pol != NULL;
    return pol ? pol : sc->zone_policy;
}

/* ------------------------------------------------------------------ */
/* directive handlers                                                  */

static cfaop_origin cfaop_cmd_origin(cmd_parms *cmd)
{
    cfaop_origin o;

    o.file = cmd->directive->filename;
    o.line = cmd->directive->line_num;
    return o;
}

static const char *cfaop_cmd_err(cmd_parms *cmd, const char *msg)
{
    return apr_pstrcat(cmd->pool, cmd->cmd->name, ": ", msg, NULL);
}

static void cfaop_warn_expiry(cmd_parms *cmd, const cfaop_certfile *f)
{
    time_t now = time(NULL);
    int i, days;

    for (i = 0; i < sk_X509_num(f->certs); i++) {
        X509 *x = sk_X509_value(f->certs, i);
        char *subject;

        if (aop_cert_days_left(x, now, &days) != 0 || days >= CFAOP_EXPIRY_WARN_DAYS) {
            continue;
        }
        subject = aop_name_rfc2253(X509_get_subject_name(x));
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL, CFAOP_LOGNO(00001)
                     "%s: %s (line %d of %s): certificate %d (%s) %s",
                     cmd->cmd->name, f->name, cmd->directive->line_num,
                     cmd->directive->filename, i + 1, subject ? subject : "?",
                     days < 0 ? "has expired" : "expires within 30 days");
        free(subject);
    }
}

/* An anchor any public CA's customer can get a certificate under is no
 * origin lock: said once per file. */
static void cfaop_warn_public(cmd_parms *cmd, const cfaop_certfile *f)
{
    X509_STORE *system = f->builtin ? NULL
                       : cfaop_registry_system_store(cfaop_registry_get(cmd->pool));
    int i;

    for (i = 0; system && i < sk_X509_num(f->certs); i++) {
        X509 *x = sk_X509_value(f->certs, i);
        char *subject;

        if (!aop_store_has_cert(system, x)) {
            continue;
        }
        subject = aop_name_rfc2253(X509_get_subject_name(x));
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL, CFAOP_LOGNO(00022)
                     "%s: %s (line %d of %s): certificate %d (%s) is in this "
                     "system's trust store: any client certificate that public CA "
                     "issues would be accepted; trust the CA of your own "
                     "certificates, or pin them", cmd->cmd->name, f->name,
                     cmd->directive->line_num, cmd->directive->filename, i + 1,
                     subject ? subject : "?");
        free(subject);
    }
}

/* The configuration a server-level directive writes to; an error where
 * the directive cannot stand. */
static const char *cfaop_cmd_conf(cmd_parms *cmd, cfaop_srv_conf **sc)
{
    *sc = cfaop_config_get(cmd->server);
    return ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
}

/* Remembers where this scope first wrote a policy rule. */
static void cfaop_note_rule(cmd_parms *cmd)
{
    cfaop_srv_conf *sc = cfaop_config_get(cmd->server);

    if (!sc->rules_origin.file) {
        sc->rules_origin = cfaop_cmd_origin(cmd);
    }
}

/* A CRL file: loaded once; one past its nextUpdate is said at once (its
 * CA's certificates are refused until a fresh one is loaded). */
static const char *cfaop_load_crls(cmd_parms *cmd, const char *arg,
                                   apr_array_header_t **arr)
{
    cfaop_registry *reg = cfaop_registry_get(cmd->pool);
    const cfaop_crlfile *f;
    const char *err = NULL;
    cfaop_crlref ref;
    time_t now = time(NULL);
    int fresh, i, days;

    f = cfaop_registry_crlfile(reg, cmd->temp_pool, arg, &fresh, &err);
    if (!f) {
        return cfaop_cmd_err(cmd, err);
    }
    for (i = 0; fresh && i < sk_X509_CRL_num(f->crls); i++) {
        const ASN1_TIME *next = X509_CRL_get0_nextUpdate(sk_X509_CRL_value(f->crls, i));
        char *issuer;

        if (!next || aop_time_days_left(next, now, &days) != 0 || days >= 0) {
            continue;
        }
        issuer = aop_name_rfc2253(X509_CRL_get_issuer(sk_X509_CRL_value(f->crls, i)));
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL, CFAOP_LOGNO(00023)
                     "%s: %s (line %d of %s): CRL %d (issued by %s) is past its "
                     "nextUpdate: the certificates of that CA are refused until a "
                     "fresh CRL is loaded", cmd->cmd->name, f->name,
                     cmd->directive->line_num, cmd->directive->filename, i + 1,
                     issuer ? issuer : "?");
        free(issuer);
    }
    if (!*arr) {
        *arr = apr_array_make(cmd->pool, 2, sizeof(cfaop_crlref));
    }
    ref.file = f;
    ref.where = apr_psprintf(cmd->pool, "line %d of %s", cmd->directive->line_num,
                             cmd->directive->filename);
    APR_ARRAY_PUSH(*arr, cfaop_crlref) = ref;
    cfaop_note_rule(cmd);
    return NULL;
}

/* A file of trust anchors: loaded once, every certificate must be a CA. */
static const char *cfaop_load_anchors(cmd_parms *cmd, const char *arg,
                                      int allow_builtin, apr_array_header_t **arr)
{
    cfaop_registry *reg = cfaop_registry_get(cmd->pool);
    const cfaop_certfile *f;
    const char *err = NULL;
    int fresh, i;

    f = cfaop_registry_file(reg, cmd->temp_pool, arg, allow_builtin, &fresh, &err);
    if (!f) {
        return cfaop_cmd_err(cmd, err);
    }
    /* Checked at every use: the file may have been loaded as a pin first. */
    for (i = 0; i < sk_X509_num(f->certs); i++) {
        X509 *x = sk_X509_value(f->certs, i);

        if (!f->builtin && aop_cert_is_cloudflare_origin_ca(x)) {
            return cfaop_cmd_err(cmd, apr_psprintf(cmd->temp_pool,
                "%s: certificate %d is a Cloudflare Origin CA root, which signs "
                "the server certificates Cloudflare issues for origins, never the "
                "client certificate the edge presents; for Cloudflare's shared "
                "certificate use 'cloudflare' (the origin-pull CA), for your own "
                "certificates the CA that issued them", f->name, i + 1));
        }
        if (!aop_cert_is_ca(x)) {
            char *subject = aop_name_rfc2253(X509_get_subject_name(x));
            const char *msg = apr_psprintf(cmd->temp_pool,
                "%s: certificate %d (%s) is not a CA certificate; "
                "to accept exactly this certificate, use it as a pin "
                "(CFAOPPin %s)", f->name, i + 1, subject ? subject : "?", arg);

            free(subject);
            return cfaop_cmd_err(cmd, msg);
        }
    }
    if (fresh) {
        cfaop_warn_expiry(cmd, f);
        cfaop_warn_public(cmd, f);
    }
    if (!*arr) {
        *arr = apr_array_make(cmd->pool, 2, sizeof(const cfaop_certfile *));
    }
    APR_ARRAY_PUSH(*arr, const cfaop_certfile *) = f;
    cfaop_note_rule(cmd);
    return NULL;
}

/* A pin in one of its three forms; a file pins each certificate in it. */
static const char *cfaop_load_pins(cmd_parms *cmd, const char *arg,
                                   apr_array_header_t **arr)
{
    cfaop_registry *reg;
    const cfaop_certfile *f;
    const char *err = NULL;
    aop_error aerr;
    cfaop_pin pin;
    int fresh, i, rv;

    memset(&pin, 0, sizeof(pin));
    if (!*arr) {
        *arr = apr_array_make(cmd->pool, 2, sizeof(cfaop_pin));
    }
    rv = aop_pin_parse(arg, &pin.pin, &aerr);
    if (rv < 0) {
        return cfaop_cmd_err(cmd, apr_psprintf(cmd->temp_pool,
                             "malformed pin '%s': %s", arg, aerr.msg));
    }
    cfaop_note_rule(cmd);
    if (rv > 0) {
        APR_ARRAY_PUSH(*arr, cfaop_pin) = pin;
        return NULL;
    }
    reg = cfaop_registry_get(cmd->pool);
    f = cfaop_registry_file(reg, cmd->temp_pool, arg, 0, &fresh, &err);
    if (!f) {
        return cfaop_cmd_err(cmd, apr_psprintf(cmd->temp_pool,
            "'%s' is neither a pin (sha256:HEX or spki-sha256:BASE64) nor a "
            "readable PEM certificate file (%s)", arg, err));
    }
    if (fresh) {
        cfaop_warn_expiry(cmd, f);
    }
    for (i = 0; i < sk_X509_num(f->certs); i++) {
        if (aop_cert_is_ca(sk_X509_value(f->certs, i))) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL, CFAOP_LOGNO(00007)
                "%s: %s (line %d of %s): certificate %d is a CA certificate; a "
                "pin matches only the leaf a client presents (to trust what a "
                "CA issues, use a CA certificate file directive)",
                cmd->cmd->name, f->name, cmd->directive->line_num,
                cmd->directive->filename, i + 1);
        }
        if (aop_pin_from_cert(sk_X509_value(f->certs, i), &pin.pin) != 0) {
            return cfaop_cmd_err(cmd, "cannot compute a certificate digest");
        }
        pin.file = f;
        pin.index = i;
        APR_ARRAY_PUSH(*arr, cfaop_pin) = pin;
    }
    return NULL;
}

static const char *cfaop_cmd_engine(cmd_parms *cmd, void *dc, const char *arg)
{
    cfaop_srv_conf *sc;
    const char *err = cfaop_cmd_conf(cmd, &sc);

    (void)dc;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "on")) {
        sc->engine = 1;
    }
    else if (!strcasecmp(arg, "off")) {
        sc->engine = 0;
    }
    else {
        return cfaop_cmd_err(cmd, apr_psprintf(cmd->temp_pool,
                             "'%s' is neither 'on' nor 'off'", arg));
    }
    sc->engine_origin = cfaop_cmd_origin(cmd);
    return NULL;
}

static const char *cfaop_cmd_mode(cmd_parms *cmd, void *dc, const char *arg)
{
    cfaop_srv_conf *sc;
    const char *err = cfaop_cmd_conf(cmd, &sc);

    (void)dc;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, "enforce")) {
        sc->mode = CFAOP_MODE_ENFORCE;
    }
    else if (!strcasecmp(arg, "report")) {
        sc->mode = CFAOP_MODE_REPORT;
    }
    else {
        return cfaop_cmd_err(cmd, apr_psprintf(cmd->temp_pool,
                             "'%s' is neither 'enforce' nor 'report'", arg));
    }
    return NULL;
}

static const char *cfaop_cmd_ca_file(cmd_parms *cmd, void *dc, const char *arg)
{
    cfaop_srv_conf *sc;
    const char *err = cfaop_cmd_conf(cmd, &sc);

    (void)dc;
    return err ? err : cfaop_load_anchors(cmd, arg, 1, &sc->anchor_files);
}

static const char *cfaop_cmd_pin(cmd_parms *cmd, void *dc, const char *arg)
{
    cfaop_srv_conf *sc;
    const char *err = cfaop_cmd_conf(cmd, &sc);

    (void)dc;
    return err ? err : cfaop_load_pins(cmd, arg, &sc->pins);
}

static const char *cfaop_cmd_crl_file(cmd_parms *cmd, void *dc, const char *arg)
{
    cfaop_srv_conf *sc;
    const char *err = cfaop_cmd_conf(cmd, &sc);

    (void)dc;
    return err ? err : cfaop_load_crls(cmd, arg, &sc->crls);
}

/* The rules of `hostname` in this scope, created on first mention. */
static const char *cfaop_hostrule_get(cmd_parms *cmd, const char *hostname,
                                      cfaop_hostrule **rule)
{
    cfaop_srv_conf *sc;
    char norm[AOP_HOSTNAME_MAX];
    const char *err = cfaop_cmd_conf(cmd, &sc);

    if (err) {
        return err;
    }
    if (strchr(hostname, '*')) {
        return cfaop_cmd_err(cmd, apr_psprintf(cmd->temp_pool,
            "'%s': wildcards are not supported, Cloudflare associates "
            "certificates with exact hostnames", hostname));
    }
    if (aop_hostname_normalize(hostname, 0, norm) != 0) {
        return cfaop_cmd_err(cmd, apr_psprintf(cmd->temp_pool,
            "'%s' is not a hostname (expected a DNS name such as "
            "app.example.com, without port)", hostname));
    }
    if (!sc->hostrules) {
        sc->hostrules = apr_hash_make(cmd->pool);
    }
    *rule = apr_hash_get(sc->hostrules, norm, APR_HASH_KEY_STRING);
    if (!*rule) {
        *rule = apr_pcalloc(cmd->pool, sizeof(**rule));
        (*rule)->hostname = apr_pstrdup(cmd->pool, norm);
        (*rule)->origin = cfaop_cmd_origin(cmd);
        apr_hash_set(sc->hostrules, (*rule)->hostname, APR_HASH_KEY_STRING, *rule);
    }
    return NULL;
}

static const char *cfaop_cmd_host_ca_file(cmd_parms *cmd, void *dc,
                                          const char *hostname, const char *arg)
{
    cfaop_hostrule *rule;
    const char *err = cfaop_hostrule_get(cmd, hostname, &rule);

    (void)dc;
    if (err) {
        return err;
    }
    if (!strcasecmp(arg, AOP_CLOUDFLARE_ANCHOR)) {
        return cfaop_cmd_err(cmd, "the shared 'cloudflare' anchor cannot be a "
            "hostname policy: Cloudflare presents only uploaded certificates "
            "per hostname, and the shared one admits every Cloudflare customer");
    }
    return cfaop_load_anchors(cmd, arg, 0, &rule->anchor_files);
}

static const char *cfaop_cmd_host_crl_file(cmd_parms *cmd, void *dc,
                                           const char *hostname, const char *arg)
{
    cfaop_hostrule *rule;
    const char *err = cfaop_hostrule_get(cmd, hostname, &rule);

    (void)dc;
    return err ? err : cfaop_load_crls(cmd, arg, &rule->crls);
}

static const char *cfaop_cmd_host_pin(cmd_parms *cmd, void *dc,
                                      const char *hostname, const char *arg)
{
    cfaop_hostrule *rule;
    const char *err = cfaop_hostrule_get(cmd, hostname, &rule);

    (void)dc;
    return err ? err : cfaop_load_pins(cmd, arg, &rule->pins);
}

/* A header name as HTTP allows it (a token), so that a typo shows here. */
static const char *cfaop_header_name(cmd_parms *cmd, const char *name)
{
    const char *c;

    for (c = name; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("!#$%&'*+-.^_`|~", *c)) {
            break;
        }
    }
    if (!*name || *c) {
        return cfaop_cmd_err(cmd, apr_psprintf(cmd->temp_pool,
                             "'%s' is not an HTTP header name", name));
    }
    return NULL;
}

static const char *cfaop_cmd_remote_ip(cmd_parms *cmd, void *dc, const char *arg)
{
    cfaop_srv_conf *sc;
    const char *err = cfaop_cmd_conf(cmd, &sc);

    (void)dc;
    if (!err) {
        err = cfaop_header_name(cmd, arg);
    }
    if (!err) {
        sc->remote_ip_header = arg;
    }
    return err;
}

static const char *cfaop_cmd_edge_header(cmd_parms *cmd, void *dc, const char *arg)
{
    cfaop_srv_conf *sc;
    const char *err = cfaop_cmd_conf(cmd, &sc);

    (void)dc;
    if (!err) {
        err = cfaop_header_name(cmd, arg);
    }
    if (err) {
        return err;
    }
    if (!sc->edge_headers) {
        sc->edge_headers = apr_array_make(cmd->pool, 4, sizeof(const char *));
    }
    APR_ARRAY_PUSH(sc->edge_headers, const char *) = arg;
    return NULL;
}

const command_rec cfaop_config_cmds[] = {
    AP_INIT_TAKE1("CFAOPEngine", cfaop_cmd_engine, NULL, RSRC_CONF,
        "on|off: requests to this virtual host require a client certificate "
        "that satisfies its policy"),
    AP_INIT_TAKE1("CFAOPMode", cfaop_cmd_mode, NULL, RSRC_CONF,
        "enforce|report: reject failing requests, or only log them"),
    AP_INIT_TAKE1("CFAOPCACertificateFile", cfaop_cmd_ca_file, NULL, RSRC_CONF,
        "'cloudflare' or a PEM file of CA certificates trusted for client "
        "certificates (repeatable)"),
    AP_INIT_TAKE1("CFAOPPin", cfaop_cmd_pin, NULL, RSRC_CONF,
        "sha256:HEX, spki-sha256:BASE64 or a PEM file: an accepted leaf "
        "certificate (repeatable)"),
    AP_INIT_TAKE1("CFAOPCARevocationFile", cfaop_cmd_crl_file, NULL, RSRC_CONF,
        "a PEM file of CRLs of the zone's anchors: revoked certificates are "
        "refused (repeatable)"),
    AP_INIT_TAKE2("CFAOPHostnameCACertificateFile", cfaop_cmd_host_ca_file,
        NULL, RSRC_CONF, "HOSTNAME PATH: trust anchors for one hostname"),
    AP_INIT_TAKE2("CFAOPHostnameCARevocationFile", cfaop_cmd_host_crl_file,
        NULL, RSRC_CONF, "HOSTNAME PATH: CRLs of one hostname's anchors"),
    AP_INIT_TAKE2("CFAOPHostnamePin", cfaop_cmd_host_pin, NULL, RSRC_CONF,
        "HOSTNAME PIN: an accepted leaf for one hostname (repeatable)"),
    AP_INIT_TAKE1("CFAOPRemoteIPHeader", cfaop_cmd_remote_ip, NULL, RSRC_CONF,
        "HEADER: the client address, believed only when the request's "
        "certificate passed, removed otherwise (e.g. CF-Connecting-IP)"),
    AP_INIT_ITERATE("CFAOPEdgeHeaders", cfaop_cmd_edge_header, NULL, RSRC_CONF,
        "HEADER...: headers only Cloudflare's edge may set, removed from every "
        "request whose certificate did not pass"),
    { NULL }
};

/* ------------------------------------------------------------------ */
/* check_config / post_config                                          */

/* Could a request for `hostname` be routed to vhost `s` at all? */
static int cfaop_server_has_name(server_rec *s, const char *hostname)
{
    char norm[AOP_HOSTNAME_MAX];
    int i;

    if (s->server_hostname && aop_hostname_normalize(s->server_hostname, 1, norm) == 0
        && !strcmp(norm, hostname)) {
        return 1;
    }
    for (i = 0; s->names && i < s->names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(s->names, i, const char *);

        if (aop_hostname_normalize(n, 1, norm) == 0 && !strcmp(norm, hostname)) {
            return 1;
        }
    }
    for (i = 0; s->wild_names && i < s->wild_names->nelts; i++) {
        const char *w = APR_ARRAY_IDX(s->wild_names, i, const char *);

        if (apr_fnmatch(w, hostname, APR_FNM_CASE_BLIND) == APR_SUCCESS) {
            return 1;
        }
    }
    return 0;
}

/* Whether some vhost using a hostname rule can receive requests for it. */
typedef struct cfaop_reach {
    const cfaop_hostrule *rule;
    int reachable;
} cfaop_reach;

static void cfaop_note_reachable(apr_hash_t *reachable, const cfaop_hostrule *rule,
                                 int here)
{
    cfaop_reach *r = apr_hash_get(reachable, &rule, sizeof(rule));

    if (!r) {
        r = apr_pcalloc(apr_hash_pool_get(reachable), sizeof(*r));
        r->rule = rule;
        apr_hash_set(reachable, &r->rule, sizeof(r->rule), r);
    }
    r->reachable |= here;
}

/* Builds the vhost's policies and notes, per hostname rule, whether this
 * vhost answers to its hostname. */
static int cfaop_build_policies(cfaop_registry *reg, server_rec *s,
                                cfaop_srv_conf *sc, apr_pool_t *pconf,
                                apr_pool_t *ptemp, apr_hash_t *reachable)
{
    const apr_array_header_t *anchors = sc->anchor_files;
    const char *err = NULL;
    apr_hash_index_t *hi;

    /* Neither anchors nor pins: the zone trusts Cloudflare's origin-pull CA. */
    if ((!anchors || !anchors->nelts) && (!sc->pins || !sc->pins->nelts)) {
        apr_array_header_t *dflt = apr_array_make(ptemp, 1, sizeof(const cfaop_certfile *));
        const cfaop_certfile *cf;
        int fresh;

        cf = cfaop_registry_file(reg, ptemp, AOP_CLOUDFLARE_ANCHOR, 1, &fresh, &err);
        if (!cf) {
            goto fail;
        }
        APR_ARRAY_PUSH(dflt, const cfaop_certfile *) = cf;
        anchors = dflt;
    }
    sc->zone_policy = cfaop_registry_policy(reg, ptemp, anchors, sc->pins, sc->crls,
                                            &err);
    if (!sc->zone_policy) {
        goto fail;
    }
    if (!sc->hostrules || apr_hash_count(sc->hostrules) == 0) {
        return OK;
    }
    sc->host_policies = apr_hash_make(pconf);
    for (hi = apr_hash_first(ptemp, sc->hostrules); hi; hi = apr_hash_next(hi)) {
        const cfaop_hostrule *rule = apr_hash_this_val(hi);
        const cfaop_policy *pol;

        pol = cfaop_registry_policy(reg, ptemp, rule->anchor_files, rule->pins,
                                    rule->crls, &err);
        if (!pol) {
            goto fail;
        }
        apr_hash_set(sc->host_policies, rule->hostname, APR_HASH_KEY_STRING, pol);
        cfaop_note_reachable(reachable, rule, cfaop_server_has_name(s, rule->hostname));
    }
    return OK;

fail:
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, CFAOP_LOGNO(00003)
                 "cannot build the policy of virtual host %s: %s",
                 CFAOP_SNAME(s), err);
    return HTTP_INTERNAL_SERVER_ERROR;
}

static int cfaop_is_vhost_section(const ap_directive_t *d)
{
    return !strcasecmp(d->directive, "<VirtualHost");
}

static int cfaop_is_verify_client(const ap_directive_t *d)
{
    return !strcasecmp(d->directive, "SSLVerifyClient");
}

/* A directive's first argument as mod_ssl reads it: quotes removed. */
static int cfaop_verify_client_is_none(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args ? d->args : "";

    return !strcasecmp(ap_getword_conf(p, &args), "none");
}

/* The SSLVerifyClient in effect at server level among these siblings:
 * the last one, as a later directive overrides an earlier one. */
static const ap_directive_t *cfaop_server_verify_client(const ap_directive_t *d)
{
    const ap_directive_t *last = NULL;

    for (; d; d = d->next) {
        if (cfaop_is_verify_client(d)) {
            last = d;
        }
    }
    return last;
}

/* The first SSLVerifyClient other than none inside the per-directory
 * sections of a subtree (<Directory>, <Location>, <If>...), leaving out
 * <VirtualHost> sections. */
static const ap_directive_t *cfaop_dir_verify_client(apr_pool_t *p,
                                                     const ap_directive_t *d,
                                                     int in_section)
{
    const ap_directive_t *found;

    for (; d; d = d->next) {
        if (cfaop_is_vhost_section(d)) {
            continue;
        }
        if (in_section && cfaop_is_verify_client(d)
            && !cfaop_verify_client_is_none(p, d)) {
            return d;
        }
        if (d->first_child
            && (found = cfaop_dir_verify_client(p, d->first_child, 1))) {
            return found;
        }
    }
    return NULL;
}

/*
 * What the SSLVerifyClient check needs of the configuration tree, read in
 * one walk per configuration pass: the main server's settings and where
 * each <VirtualHost> section is. Asking the tree again for every vhost
 * made configtest quadratic in the number of vhosts (10,000 vhosts: 95% of
 * `apache2 -t` spent in the walks).
 */
typedef struct cfaop_tree_index {
    const ap_directive_t *main_server_vc; /* last server-level one, main server */
    const ap_directive_t *main_dir_vc;    /* first per-directory one outside vhosts */
    apr_hash_t *sections;                 /* cfaop_section_key -> <VirtualHost> */
} cfaop_tree_index;

/* A vhost names its section by the section's own file name string (not a
 * copy) and line: a binary key, so that 10,000 look-ups allocate nothing,
 * and two inclusions of one file stay apart. */
typedef struct cfaop_section_key {
    const char *file;
    long line;
} cfaop_section_key;

/* Notes every <VirtualHost> section of a subtree, in the order of the
 * tree; the first section at a file and line is the one that counts. */
static void cfaop_index_sections(apr_pool_t *p, apr_hash_t *sections,
                                 const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (cfaop_is_vhost_section(d)) {
            cfaop_section_key *key;

            if (!d->filename) {
                continue;
            }
            key = apr_pcalloc(p, sizeof(*key));
            key->file = d->filename;
            key->line = d->line_num;
            if (!apr_hash_get(sections, key, sizeof(*key))) {
                apr_hash_set(sections, key, sizeof(*key), d);
            }
        }
        else if (d->first_child) {
            cfaop_index_sections(p, sections, d->first_child);
        }
    }
}

static cfaop_tree_index *cfaop_tree_index_make(apr_pool_t *p)
{
    cfaop_tree_index *ix = apr_pcalloc(p, sizeof(*ix));

    ix->main_server_vc = cfaop_server_verify_client(ap_conftree);
    ix->main_dir_vc = cfaop_dir_verify_client(p, ap_conftree, 0);
    ix->sections = apr_hash_make(p);
    cfaop_index_sections(p, ix->sections, ap_conftree);
    return ix;
}

/* The <VirtualHost> section that defined `s` (found by file and line). */
static const ap_directive_t *cfaop_vhost_section(const cfaop_tree_index *ix,
                                                 const server_rec *s)
{
    cfaop_section_key key;

    if (!s->defn_name) {
        return NULL;
    }
    memset(&key, 0, sizeof(key));
    key.file = s->defn_name;
    key.line = (long)s->defn_line_number;
    return apr_hash_get(ix->sections, &key, sizeof(key));
}

/*
 * The SSLVerifyClient that mod_ssl will apply to `s`, if any but none: at
 * server level the vhost's own setting overrides the main server's, as in
 * mod_ssl's merge; per-directory settings of the main server apply to every
 * vhost, those inside the vhost to it.
 */
static const ap_directive_t *cfaop_effective_verify_client(apr_pool_t *p,
                                                           const cfaop_tree_index *ix,
                                                           const server_rec *s)
{
    const ap_directive_t *section = NULL, *d = NULL;

    if (s->is_virtual) {
        section = cfaop_vhost_section(ix, s);
    }
    if (section) {
        d = cfaop_server_verify_client(section->first_child);
    }
    if (!d) {
        d = ix->main_server_vc;
    }
    if (d && !cfaop_verify_client_is_none(p, d)) {
        return d;
    }
    d = ix->main_dir_vc;
    if (!d && section) {
        d = cfaop_dir_verify_client(p, section->first_child, 0);
    }
    return d;
}

/*
 * mod_ssl's own client verification cannot share a vhost with ours: its
 * per-request access check would renegotiate (impossible on HTTP/2), and
 * two policies would decide one request. Refused at configtest with both
 * locations.
 */
static int cfaop_check_no_ssl_verify(apr_pool_t *ptemp, const cfaop_tree_index *ix,
                                     server_rec *s, const cfaop_srv_conf *sc)
{
    const ap_directive_t *clash = cfaop_effective_verify_client(ptemp, ix, s);

    if (!clash) {
        return OK;
    }
    ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, CFAOP_LOGNO(00005)
        "SSLVerifyClient %s (line %d of %s) applies to virtual host %s, where "
        "CFAOPEngine is on (line %d of %s): mod_cfaop requests and checks the "
        "client certificate itself; remove SSLVerifyClient or set it to none",
        clash->args, clash->line_num, clash->filename, CFAOP_SNAME(s),
        sc->engine_origin.line, sc->engine_origin.file ? sc->engine_origin.file : "?");
    return HTTP_INTERNAL_SERVER_ERROR;
}

/* A hostname rule no vhost using it can receive requests for is a typo or
 * a rule in the wrong vhost; said once per rule, however many inherit it. */
static void cfaop_warn_unreachable(apr_pool_t *ptemp, server_rec *main_server,
                                   apr_hash_t *reachable)
{
    apr_hash_index_t *hi;

    for (hi = apr_hash_first(ptemp, reachable); hi; hi = apr_hash_next(hi)) {
        const cfaop_reach *r = apr_hash_this_val(hi);
        const cfaop_hostrule *rule = r->rule;

        if (!r->reachable) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, main_server, CFAOP_LOGNO(00002)
                "%s:%d: hostname policy for '%s' applies to no virtual host "
                "with that ServerName or ServerAlias; requests for it are "
                "routed elsewhere unless it reaches a default host",
                rule->origin.file, rule->origin.line, rule->hostname);
        }
    }
}

int cfaop_config_check(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s)
{
    cfaop_registry *reg = cfaop_registry_get(pconf);
    apr_hash_t *reachable = apr_hash_make(ptemp);
    cfaop_tree_index *ix = NULL; /* made at the first enabled vhost */
    server_rec *main_server = s;
    apr_pool_t *scratch;
    int rv = OK;

    (void)plog;
    /* What one vhost's checks allocate is dropped before the next: the
     * process keeps the memory of the largest pool it ever had, and the
     * parent holds it for as long as it runs. */
    apr_pool_create(&scratch, ptemp);
    apr_pool_tag(scratch, "cfaop_scratch");
    for (; s; s = s->next) {
        cfaop_srv_conf *sc = cfaop_config_get(s);

        sc->server = s;
        if (!cfaop_config_enabled(sc)) {
            if (sc->rules_origin.file) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CFAOP_LOGNO(00008)
                    "%s:%d: mod_cfaop rules for virtual host %s, but CFAOPEngine "
                    "is not on there: its requests are not checked",
                    sc->rules_origin.file, sc->rules_origin.line,
                    CFAOP_SNAME(s));
            }
            continue;
        }
        if (!ix) {
            ix = cfaop_tree_index_make(ptemp);
        }
        apr_pool_clear(scratch);
        if (cfaop_build_policies(reg, s, sc, pconf, scratch, reachable) != OK
            || cfaop_check_no_ssl_verify(scratch, ix, s, sc) != OK) {
            rv = HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    apr_pool_destroy(scratch);
    cfaop_warn_unreachable(ptemp, main_server, reachable);
    return rv;
}

/* Where a vhost listens, as its <VirtualHost> says ("*" for any). */
static const char *cfaop_server_addr(apr_pool_t *p, const server_rec *s)
{
    const server_addr_rec *a = s->addrs;

    if (!a || !a->virthost) {
        return "main server";
    }
    return a->host_port ? apr_psprintf(p, "%s:%u", a->virthost, (unsigned)a->host_port)
                        : apr_psprintf(p, "%s:*", a->virthost);
}

int cfaop_config_post(apr_pool_t *pconf, apr_pool_t *plog,
                      apr_pool_t *ptemp, server_rec *s)
{
    server_rec *main_server = s;
    int nservers = 0, nenabled = 0, nfiles = 0, ncrlfiles = 0, npolicies = 0;

    (void)pconf;
    (void)plog;

    /* The start-up dry run sees the same configuration; say it once. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    for (; s; s = s->next) {
        cfaop_srv_conf *sc = cfaop_config_get(s);

        nservers++;
        nenabled += cfaop_config_enabled(sc);
        if (cfaop_config_enabled(sc) && !sc->tls) {
            int report = cfaop_config_mode(sc) == CFAOP_MODE_REPORT;

            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, CFAOP_LOGNO(00004)
                "CFAOPEngine is on (%s:%d) for virtual host %s (%s), which "
                "does not use TLS (SSLEngine on): %s",
                sc->engine_origin.file ? sc->engine_origin.file : "?",
                sc->engine_origin.line, CFAOP_SNAME(s),
                cfaop_server_addr(ptemp, s),
                report ? "report mode serves its requests and logs each as "
                         "one it would refuse (reason no-tls)"
                       : "every request to it is refused with 403 "
                         "(reason no-tls)");
        }
    }
    if (nenabled) {
        cfaop_registry_counts(cfaop_registry_get(pconf), &nfiles, &ncrlfiles, &npolicies);
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, main_server, CFAOP_LOGNO(00006)
                     "%d of %d virtual hosts enabled; %d certificate files, %d CRL "
                     "files and %d policies loaded, each once", nenabled, nservers,
                     nfiles, ncrlfiles, npolicies);
    }
    return OK;
}
