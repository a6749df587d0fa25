/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "aop_hostname.h"
#include "tool_http.h"
#include "tool_local.h"
#include "tool_origin.h"
#include "tool_out.h"

#define TOOL_POLICY_FORMAT "cfaop-policy/1"
/* A document of 10,000 vhosts is a few megabytes. */
#define TOOL_POLICY_MAX_BYTES (64u * 1024 * 1024)

const char *tool_level_name(tool_level level)
{
    static const char *const names[] = {"none", "global", "zone", "hostname"};

    return names[level];
}

/* ------------------------------------------------------------------ */
/* reading the documents                                               */

static json_t *tool_origin_fetch(tool_ctx *ctx, const char *url)
{
    tool_http_req req;
    tool_http_resp resp;
    json_error_t jerr;
    json_t *doc = NULL;

    memset(&req, 0, sizeof(req));
    req.url = url;
    req.max_body = TOOL_POLICY_MAX_BYTES;
    if (tool_http_get(ctx, &req, &resp) != 0) {
        tool_error("%s: %s%s", url, resp.error,
                   resp.peer_unverified
                       ? " (the server's certificate is not trusted; see "
                         "--cacert)"
                       : "");
    }
    else if (resp.status != 200) {
        tool_error("%s: HTTP %ld (is it a cfaop-status handler, and do its "
                   "Require lines admit this host?)",
                   url, resp.status);
    }
    else if (!(doc = json_loadb(tool_buf_str(&resp.body), resp.body.len, 0,
                                &jerr))) {
        tool_error("%s: not JSON: %s", url, jerr.text);
    }
    tool_http_resp_free(&resp);
    return doc;
}

static json_t *tool_origin_read(tool_ctx *ctx, const char *source)
{
    json_error_t jerr;
    json_t *doc;

    if (strncasecmp(source, "https://", 8) == 0) {
        return tool_origin_fetch(ctx, source);
    }
    if (strncasecmp(source, "http://", 7) == 0) {
        tool_error("%s: only https:// URLs are read (the policy decides who "
                   "may reach the origin)",
                   source);
        return NULL;
    }
    doc = strcmp(source, "-") == 0 ? json_loadf(stdin, 0, &jerr)
                                   : json_load_file(source, 0, &jerr);
    if (!doc) {
        tool_error("%s: %s", strcmp(source, "-") == 0 ? "stdin" : source,
                   jerr.text);
    }
    return doc;
}

/* ------------------------------------------------------------------ */
/* building the policies                                               */

/* SHA-256 of the built-in Cloudflare origin-pull CA, computed once. */
static const char *tool_cloudflare_sha256(void)
{
    static char hex[AOP_SHA256_HEXLEN];
    unsigned char d[AOP_SHA256_LEN];
    STACK_OF(X509) *certs = NULL;
    aop_error err;

    if (!hex[0]
        && aop_pem_load_mem(aop_cloudflare_ca_pem,
                            strlen(aop_cloudflare_ca_pem), "built-in", &certs,
                            &err)
               == 0
        && aop_cert_sha256(sk_X509_value(certs, 0), d) == 0) {
        aop_hex(d, sizeof(d), hex);
    }
    aop_certs_free(certs);
    return hex;
}

static int tool_policy_add_anchor(tool_policy *tp, const json_t *doc,
                                  const json_t *anchor, aop_error *err)
{
    const char *sha = tool_json_str(anchor, "sha256");
    const char *pem = tool_json_str(
        json_object_get(json_object_get(doc, "certificates"), sha ? sha : ""),
        "pem");
    STACK_OF(X509) *certs = NULL;
    int rc;

    if (!pem
        && strcmp(tool_json_show(anchor, "source"), AOP_CLOUDFLARE_ANCHOR)
               == 0) {
        pem = aop_cloudflare_ca_pem;
    }
    if (!sha || !pem) {
        aop_error_set(err, "anchor %s has no certificate in \"certificates\"",
                      sha ? sha : "without sha256");
        return -1;
    }
    if (aop_pem_load_mem(pem, strlen(pem), sha, &certs, err) != 0) {
        return -1;
    }
    rc = aop_policy_add_anchor(tp->policy, sk_X509_value(certs, 0), err);
    aop_certs_free(certs);
    tp->anchors++;
    tp->trusts_cloudflare |= strcasecmp(sha, tool_cloudflare_sha256()) == 0;
    return rc;
}

static int tool_policy_add_pin(tool_policy *tp, const json_t *pin,
                               aop_error *err)
{
    char text[AOP_PIN_TEXTLEN + 8];
    aop_pin parsed;

    snprintf(text, sizeof(text), "%s:%s", tool_json_show(pin, "type"),
             tool_json_show(pin, "value"));
    if (aop_pin_parse(text, &parsed, err) != 1) {
        if (!err->msg[0]) {
            aop_error_set(err, "'%s' is not a pin", text);
        }
        return -1;
    }
    tp->pins++;
    return aop_policy_add_pin(tp->policy, &parsed);
}

static int tool_policy_build(const json_t *doc, const char *id,
                             const json_t *spec, tool_policy *tp,
                             aop_error *err)
{
    const json_t *item;
    size_t i;

    memset(tp, 0, sizeof(*tp));
    tp->id = strdup(id);
    tp->policy = aop_policy_new();
    if (!tp->id || !tp->policy) {
        aop_error_set(err, "out of memory");
        return -1;
    }
    json_array_foreach (json_object_get(spec, "anchors"), i, item) {
        if (tool_policy_add_anchor(tp, doc, item, err) != 0) {
            return -1;
        }
    }
    json_array_foreach (json_object_get(spec, "pins"), i, item) {
        if (tool_policy_add_pin(tp, item, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int tool_origin_build(tool_origin *o)
{
    const json_t *policies = json_object_get(o->doc, "policies"), *spec;
    const char *id;
    aop_error err;

    memset(&err, 0, sizeof(err));
    if (strcmp(tool_json_show(o->doc, "format"), TOOL_POLICY_FORMAT) != 0
        || !json_is_object(policies)
        || !json_is_array(json_object_get(o->doc, "vhosts"))) {
        tool_error("%s: not a %s document (docs/policy-format.md)", o->label,
                   TOOL_POLICY_FORMAT);
        return -1;
    }
    o->policies = calloc(json_object_size(policies) + 1, sizeof(*o->policies));
    if (!o->policies) {
        tool_error("out of memory");
        return -1;
    }
    json_object_foreach ((json_t *)policies, id, spec) {
        if (tool_policy_build(o->doc, id, spec, &o->policies[o->npolicies++],
                              &err)
            != 0) {
            tool_error("%s: policy %s: %s", o->label, id, err.msg);
            return -1;
        }
    }
    return 0;
}

int tool_origins_load(tool_ctx *ctx, const tool_strlist *sources,
                      tool_origins *out)
{
    int i, stdin_seen = 0;

    memset(out, 0, sizeof(*out));
    out->v = calloc((size_t)sources->n + 1, sizeof(*out->v));
    if (!out->v) {
        tool_error("out of memory");
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    for (i = 0; i < sources->n; i++) {
        tool_origin *o = &out->v[out->n++];
        const char *src = sources->v[i];

        if (strcmp(src, "-") == 0 && stdin_seen++) {
            tool_error("standard input can be read only once");
            return tool_exit_code(TOOL_FAILED_USAGE);
        }
        o->label = strdup(strcmp(src, "-") == 0 ? "stdin" : src);
        if (!o->label || !(o->doc = tool_origin_read(ctx, src))
            || tool_origin_build(o) != 0) {
            return tool_exit_code(TOOL_FAILED_CHECK);
        }
    }
    return TOOL_EXIT_OK;
}

void tool_origins_free(tool_origins *o)
{
    size_t i, k;

    for (i = 0; i < o->n; i++) {
        for (k = 0; k < o->v[i].npolicies; k++) {
            free(o->v[i].policies[k].id);
            aop_policy_free(o->v[i].policies[k].policy);
        }
        free(o->v[i].policies);
        free(o->v[i].label);
        json_decref(o->v[i].doc);
    }
    free(o->v);
    memset(o, 0, sizeof(*o));
}

/* ------------------------------------------------------------------ */
/* the hostnames                                                       */

static const tool_policy *tool_origin_policy(const tool_origin *o,
                                             const json_t *ref)
{
    const json_t *id = json_object_get(ref, "policy");
    char buf[32];
    size_t i;

    if (json_is_integer(id)) {
        snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(id));
    }
    else {
        snprintf(buf, sizeof(buf), "%s",
                 json_is_string(id) ? json_string_value(id) : "");
    }
    for (i = 0; i < o->npolicies; i++) {
        if (strcmp(o->policies[i].id, buf) == 0) {
            return &o->policies[i];
        }
    }
    return NULL;
}

static int tool_in_zone(const char *host, const char *zone)
{
    size_t h = strlen(host), z = strlen(zone);

    return strcmp(host, zone) == 0
           || (h > z && host[h - z - 1] == '.'
               && strcmp(host + h - z, zone) == 0);
}

typedef struct tool_served_list {
    tool_served *v;
    size_t n, cap;
} tool_served_list;

static int tool_served_known(const tool_served_list *l, size_t origin,
                             const char *host)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        if (l->v[i].origin == origin && strcmp(l->v[i].host, host) == 0) {
            return 1;
        }
    }
    return 0;
}

/* One name of a server entry; protected: the entry is in "vhosts". */
static int tool_served_add(tool_served_list *l, const tool_origins *o,
                           size_t oi, const json_t *vhost, const char *name,
                           const char *zone, json_t *skipped)
{
    const json_t *rules = json_object_get(vhost, "hostnames");
    int protected = json_object_get(vhost, "zone") != NULL;
    char norm[AOP_HOSTNAME_MAX];
    tool_served *s;

    if (strchr(name, '*') || strchr(name, '?')) {
        json_array_append_new(
            skipped, json_pack("{s:s, s:s, s:s}", "hostname", name, "origin",
                               o->v[oi].label, "why",
                               "a wildcard name: check the hostnames it "
                               "stands for with cfaop hostname show"));
        return 0;
    }
    if (aop_hostname_normalize(name, 1, norm) != 0 || !tool_in_zone(norm, zone)
        || tool_served_known(l, oi, norm)) {
        return 0;
    }
    if (l->n == l->cap) {
        tool_served *v = realloc(l->v, (l->cap * 2 + 16) * sizeof(*v));

        if (!v) {
            return -1;
        }
        l->v = v;
        l->cap = l->cap * 2 + 16;
    }
    s = &l->v[l->n++];
    memset(s, 0, sizeof(*s));
    s->origin = oi;
    memcpy(s->host, norm, sizeof(norm));
    s->vhost = vhost;
    if (protected) {
        /* As the module selects: the hostname's rule, else the zone's. */
        const json_t *rule = json_object_get(rules, norm);

        s->hostname_scope = rule != NULL;
        s->policy = tool_origin_policy(
            &o->v[oi], rule ? rule : json_object_get(vhost, "zone"));
        s->report = strcmp(tool_json_show(vhost, "mode"), "report") == 0;
        if (!s->policy) {
            l->n--;
            return -2;
        }
    }
    return 0;
}

static int tool_served_entry(tool_served_list *l, const tool_origins *o,
                             size_t oi, const json_t *vhost, const char *zone,
                             json_t *skipped)
{
    const char *name;
    const json_t *v;
    size_t i;
    int rc = 0;

    if (json_is_string(json_object_get(vhost, "name"))) {
        rc = tool_served_add(l, o, oi, vhost, tool_json_str(vhost, "name"),
                             zone, skipped);
    }
    json_array_foreach (json_object_get(vhost, "aliases"), i, v) {
        if (rc == 0 && json_is_string(v)) {
            rc = tool_served_add(l, o, oi, vhost, json_string_value(v), zone,
                                 skipped);
        }
    }
    json_object_foreach ((json_t *)json_object_get(vhost, "hostnames"), name,
                         v) {
        if (rc == 0) {
            rc = tool_served_add(l, o, oi, vhost, name, zone, skipped);
        }
    }
    return rc;
}

int tool_origins_served(const tool_origins *o, const char *zone,
                        json_t *skipped, tool_served **out, size_t *n)
{
    tool_served_list l = {NULL, 0, 0};
    const json_t *vhost;
    size_t oi, i;
    int rc = 0;

    /* Protected vhosts first: a name they serve is not open there. */
    for (oi = 0; oi < o->n && rc == 0; oi++) {
        json_array_foreach (json_object_get(o->v[oi].doc, "vhosts"), i, vhost) {
            if (rc == 0) {
                rc = tool_served_entry(&l, o, oi, vhost, zone, skipped);
            }
        }
        json_array_foreach (json_object_get(o->v[oi].doc, "open"), i, vhost) {
            if (rc == 0) {
                rc = tool_served_entry(&l, o, oi, vhost, zone, skipped);
            }
        }
        if (rc == -2) {
            tool_error("%s: a vhost names a policy that \"policies\" lacks",
                       o->v[oi].label);
        }
    }
    if (rc == -1) {
        tool_error("out of memory");
    }
    *out = l.v;
    *n = l.n;
    return rc == 0 ? TOOL_EXIT_OK
                   : tool_exit_code(rc == -1 ? TOOL_FAILED_MEMORY
                                             : TOOL_FAILED_CHECK);
}

/* ------------------------------------------------------------------ */
/* judging                                                             */

/* The security level Apache's TLS layer verifies client certificates at,
 * unless its configuration says otherwise: a fresh context's, which
 * follows the system's OpenSSL configuration. */
static int tool_tls_security_level(void)
{
    static int level = -1;
    SSL_CTX *sc;

    if (level < 0) {
        sc = SSL_CTX_new(TLS_server_method());
        level = sc ? SSL_CTX_get_security_level(sc) : 1;
        SSL_CTX_free(sc);
        ERR_clear_error();
    }
    return level;
}

/* The shared certificate cannot be downloaded: only what its issuer, the
 * origin-pull CA, allows to say is said. */
static tool_accept tool_judge_shared(const tool_policy *p, char *why,
                                     size_t len)
{
    if (p->anchors && !p->trusts_cloudflare) {
        snprintf(why, len,
                 "untrusted: the origin does not trust Cloudflare's "
                 "origin-pull CA, which issues the shared certificate");
        return TOOL_ACCEPT_NO;
    }
    if (p->pins) {
        snprintf(why, len,
                 "the origin pins certificates, and Cloudflare's shared "
                 "certificate cannot be downloaded to compare: nobody can "
                 "tell whether a pin matches it");
        return TOOL_ACCEPT_UNKNOWN;
    }
    return TOOL_ACCEPT_YES;
}

tool_accept tool_policy_judge(const tool_policy *policy, tool_level level,
                              const char *pem, time_t now, char *why,
                              size_t len)
{
    STACK_OF(X509) *certs = NULL, *untrusted = NULL;
    aop_chain_result chain;
    aop_result res;
    aop_leaf facts;
    char note[256];
    aop_error err;
    X509 *leaf = NULL;
    int anchored = aop_policy_store(policy->policy) != NULL, i;

    why[0] = '\0';
    if (level == TOOL_LEVEL_GLOBAL) {
        return tool_judge_shared(policy, why, len);
    }
    if (level == TOOL_LEVEL_NONE || !pem) {
        snprintf(why, len, "no certificate: the edge presents none");
        return TOOL_ACCEPT_NO;
    }
    if (aop_pem_load_mem(pem, strlen(pem), "the API's certificate", &certs,
                         &err)
        != 0) {
        snprintf(why, len, "the API's certificate does not parse: %s", err.msg);
        return TOOL_ACCEPT_UNKNOWN;
    }
    /* The others are the chain the edge sends along. */
    leaf = tool_pem_leaf(certs);
    untrusted = sk_X509_new_null();
    for (i = 0; i < sk_X509_num(certs); i++) {
        if (untrusted && sk_X509_value(certs, i) != leaf) {
            sk_X509_push(untrusted, sk_X509_value(certs, i));
        }
    }
    memset(&chain, 0, sizeof(chain));
    if (aop_leaf_init(&facts, leaf) != 0) {
        res.verdict = AOP_VERDICT_INTERNAL;
    }
    else {
        if (anchored) {
            aop_policy_verify_chain(policy->policy, leaf, untrusted, now,
                                    tool_tls_security_level(), &chain);
        }
        aop_policy_check(policy->policy, &facts, anchored ? &chain : NULL, now,
                         &res);
    }
    if (res.verdict == AOP_VERDICT_UNTRUSTED && chain.error != X509_V_OK) {
        snprintf(why, len, "%s (%s)", aop_verdict_reason(res.verdict),
                 X509_verify_cert_error_string(chain.error));
    }
    else if (res.verdict == AOP_VERDICT_UNSUPPORTED_ALGORITHM) {
        /* Judged with this OpenSSL: the origin's may differ. */
        snprintf(
            why, len, "%s (%s: an origin whose OpenSSL cannot refuses it)",
            aop_verdict_reason(res.verdict),
            tool_algorithm_note(res.chain.unsupported, note, sizeof(note)));
    }
    else if (res.verdict != AOP_VERDICT_OK) {
        snprintf(why, len, "%s", aop_verdict_reason(res.verdict));
    }
    sk_X509_free(untrusted);
    aop_certs_free(certs);
    return res.verdict == AOP_VERDICT_OK ? TOOL_ACCEPT_YES : TOOL_ACCEPT_NO;
}
