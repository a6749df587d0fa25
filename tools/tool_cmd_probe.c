/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * probe: pulls from the origin directly, as Cloudflare's edge would (SNI
 * and Host = the hostname, to the origin's address), to show that it
 * refuses pulls that bypass Cloudflare and accepts the real certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "aop_hostname.h"
#include "tool_api.h"
#include "tool_assoc.h"
#include "tool_cmds.h"
#include "tool_http.h"
#include "tool_local.h"
#include "tool_out.h"
#include "tool_settings.h"

#define TOOL_PROBE_MAX_BODY (1024 * 1024)

const tool_option tool_probe_options[] = {
    {"origin", 0, TOOL_ARG_LIST, offsetof(tool_cmd_opts, origins), 0},
    {"from-dns", 0, TOOL_ARG_FLAG, offsetof(tool_cmd_opts, from_dns), 0},
    TOOL_OPTION_CERT,
    TOOL_OPTION_KEY,
    {"path", 0, TOOL_ARG_STRING, offsetof(tool_cmd_opts, path), 0},
    {"port", 0, TOOL_ARG_STRING, offsetof(tool_cmd_opts, port), 0},
    TOOL_OPTION_END,
};

/* "ADDR", "ADDR:PORT", "[V6]" or "[V6]:PORT" -> the host for CONNECT_TO
 * (an IPv6 address in brackets) and the port. */
static int tool_probe_split(const char *arg, const char *dflt_port, char *host,
                            size_t hlen, char *port, size_t plen)
{
    const char *colon = strrchr(arg, ':'), *close = strchr(arg, ']');
    size_t n;

    if (arg[0] == '[') {
        if (!close || (close[1] && close[1] != ':')) {
            return -1;
        }
        n = (size_t)(close - arg) + 1;
        colon = close[1] ? close + 1 : NULL;
    }
    else if (colon && strchr(arg, ':') != colon) {
        /* A bare IPv6 address: no port can be told apart. */
        n = strlen(arg);
        snprintf(host, hlen, "[%s]", arg);
        snprintf(port, plen, "%s", dflt_port);
        return strlen(arg) + 3 > hlen ? -1 : 0;
    }
    else {
        n = colon ? (size_t)(colon - arg) : strlen(arg);
    }
    if (n == 0 || n >= hlen) {
        return -1;
    }
    memcpy(host, arg, n);
    host[n] = '\0';
    snprintf(port, plen, "%s", colon ? colon + 1 : dflt_port);
    return strspn(port, "0123456789") == strlen(port) && atoi(port) > 0
                   && atoi(port) < 65536
               ? 0
               : -1;
}

int tool_check_probe(tool_ctx *ctx)
{
    char host[300], port[16];
    int i;

    if (!ctx->opt.origins.n && !ctx->opt.from_dns) {
        tool_error("probe needs --origin ADDR[:PORT] or --from-dns: where "
                   "the origin is");
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (ctx->opt.path && ctx->opt.path[0] != '/') {
        tool_error("--path must start with /");
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (tool_probe_split("x", ctx->opt.port ? ctx->opt.port : "443", host,
                         sizeof(host), port, sizeof(port))
        != 0) {
        tool_error("--port: '%s' is not a port", ctx->opt.port);
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    for (i = 0; i < ctx->opt.origins.n; i++) {
        if (tool_probe_split(ctx->opt.origins.v[i], "443", host, sizeof(host),
                             port, sizeof(port))
            != 0) {
            tool_error("--origin: '%s' is not ADDR[:PORT]",
                       ctx->opt.origins.v[i]);
            return tool_exit_code(TOOL_FAILED_USAGE);
        }
    }
    for (i = 0; i < ctx->argc; i++) {
        if (ctx->argv[i][0] == '*') {
            tool_error("'%s': a wildcard cannot be pulled; name a hostname",
                       ctx->argv[i]);
            return tool_exit_code(TOOL_FAILED_USAGE);
        }
    }
    return tool_hosts_normalize(ctx->argc, ctx->argv);
}

/* A self-signed client certificate made in memory for this run; its key is
 * never written anywhere. */
static int tool_probe_throwaway(X509 **cert, EVP_PKEY **key)
{
    X509_EXTENSION *eku = NULL;
    unsigned char serial[16];
    X509_NAME *name;
    BIGNUM *bn = NULL;
    int ok;

    *key = EVP_EC_gen("P-256");
    *cert = X509_new();
    ok = *key && *cert && RAND_bytes(serial, sizeof(serial)) == 1;
    serial[0] &= 0x7f;
    ok = ok && (bn = BN_bin2bn(serial, sizeof(serial), NULL)) != NULL
         && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(*cert)) != NULL
         && X509_set_version(*cert, 2)
         && X509_gmtime_adj(X509_getm_notBefore(*cert), -3600)
         && X509_gmtime_adj(X509_getm_notAfter(*cert), 3600)
         && X509_set_pubkey(*cert, *key)
         && (name = X509_get_subject_name(*cert)) != NULL
         && X509_NAME_add_entry_by_txt(
             name, "CN", MBSTRING_ASC,
             (const unsigned char *)"cfaop probe throwaway", -1, -1, 0)
         && X509_set_issuer_name(*cert, name)
         && (eku = X509V3_EXT_conf_nid(NULL, NULL, NID_ext_key_usage,
                                       "clientAuth"))
                != NULL
         && X509_add_ext(*cert, eku, -1)
         && X509_sign(*cert, *key, EVP_sha256());
    X509_EXTENSION_free(eku);
    BN_free(bn);
    return ok ? 0 : -1;
}

typedef struct tool_probe_run {
    tool_ctx *ctx;
    int strict; /* the zone's mode verifies the origin's certificate */
    X509 *throwaway;
    EVP_PKEY *throwaway_key;
    json_t *results;
    int failed;
} tool_probe_run;

/* One pull; its outcome as {outcome: refused|served|error, status, detail}. */
static json_t *tool_probe_pull(tool_probe_run *run, const char *url,
                               const char *connect_to, X509 *cert,
                               STACK_OF(X509) * chain, EVP_PKEY *key,
                               int *peer_unverified)
{
    tool_http_req req;
    tool_http_resp resp;
    const char *outcome;
    char detail[320];

    memset(&req, 0, sizeof(req));
    req.url = url;
    req.connect_to = connect_to;
    req.client_cert = cert;
    req.client_chain = chain;
    req.client_key = key;
    req.max_body = TOOL_PROBE_MAX_BODY;
    tool_http_get(run->ctx, &req, &resp);
    *peer_unverified = resp.peer_unverified;
    if (resp.status == 403 || resp.status == 421) {
        outcome = "refused";
        snprintf(detail, sizeof(detail), "HTTP %ld", resp.status);
    }
    else if (resp.status) {
        outcome = "served";
        snprintf(detail, sizeof(detail), "HTTP %ld", resp.status);
    }
    else if (resp.tls_refused) {
        outcome = "refused";
        snprintf(detail, sizeof(detail), "at the TLS layer: %s", resp.error);
    }
    else {
        outcome = "error";
        snprintf(detail, sizeof(detail), "%s", resp.error);
    }
    tool_http_resp_free(&resp);
    return json_pack("{s:s, s:i, s:s}", "outcome", outcome, "status",
                     (int)resp.status, "detail", detail);
}

static int tool_outcome_is(const json_t *pull, const char *what)
{
    return strcmp(tool_json_show(pull, "outcome"), what) == 0;
}

static void tool_probe_line(tool_ctx *ctx, const char *label,
                            const json_t *pull, const char *verdict)
{
    tool_print(ctx, "  %-20s %s (%s)%s\n", label,
               tool_json_show(pull, "outcome"), tool_json_show(pull, "detail"),
               verdict);
}

/* The origin's server certificate, judged as the zone's mode would. The
 * probe never pulls without verifying it: in Full mode, where Cloudflare
 * would connect anyway, the origin is reported and not probed further. */
static json_t *tool_probe_first(tool_probe_run *run, const char *url,
                                const char *connect_to, const char *where,
                                json_t *server)
{
    int bad = 0;
    json_t *pull =
        tool_probe_pull(run, url, connect_to, NULL, NULL, NULL, &bad);

    json_object_set_new(server, "verified", json_boolean(!bad));
    if (!bad) {
        return pull;
    }
    json_object_set(server, "error", json_object_get(pull, "detail"));
    if (run->strict) {
        tool_error("%s: the origin's server certificate does not verify, and "
                   "the zone's SSL mode (strict) requires it: Cloudflare "
                   "would fail with 526 (%s)",
                   where, tool_json_show(pull, "detail"));
    }
    else {
        tool_error("%s: not probed: the origin's server certificate does not "
                   "verify (%s), and the probe never pulls unverified. Full "
                   "mode accepts it; give its CA with --cacert, or install a "
                   "Cloudflare Origin CA certificate and use Full (strict)",
                   where, tool_json_show(pull, "detail"));
    }
    run->failed = 1;
    json_decref(pull);
    return NULL;
}

static void tool_probe_one(tool_probe_run *run, const char *host,
                           const char *addr, const char *port)
{
    tool_ctx *ctx = run->ctx;
    char url[600], connect_to[700], where[600];
    json_t *server = json_object(), *none, *fake, *real = NULL, *res;
    int bad, ok = 1, open;

    snprintf(url, sizeof(url), "https://%s%s", host,
             ctx->opt.path ? ctx->opt.path : "/");
    /* The URL's port is 443 whatever the origin's: Host is the bare
     * hostname, as a visitor on 443 makes Cloudflare send it. */
    snprintf(connect_to, sizeof(connect_to), "%s:443:%s:%s", host, addr, port);
    snprintf(where, sizeof(where), "%s via %s:%s", host, addr, port);
    tool_print(ctx, "%s\n", where);
    none = tool_probe_first(run, url, connect_to, where, server);
    tool_print(ctx, "  %-20s %s\n", "server certificate",
               json_is_true(json_object_get(server, "verified"))
                   ? "verified"
                   : "NOT verified");
    if (none && tool_outcome_is(none, "error")) {
        tool_error("%s: the origin could not be probed: %s", where,
                   tool_json_show(none, "detail"));
        run->failed = 1;
    }
    if (!none || tool_outcome_is(none, "error")) {
        res =
            json_pack("{s:s, s:s, s:o, s:o?, s:b}", "hostname", host, "origin",
                      where + strlen(host) + 5, "server_certificate", server,
                      "no_certificate", none, "ok", 0);
        json_array_append_new(run->results, res);
        return;
    }
    fake = tool_probe_pull(run, url, connect_to, run->throwaway, NULL,
                           run->throwaway_key, &bad);
    if (ctx->cert) {
        real = tool_probe_pull(run, url, connect_to, ctx->cert->leaf,
                               ctx->cert->certs, ctx->cert->key, &bad);
    }
    open = tool_outcome_is(none, "served") || tool_outcome_is(fake, "served");
    ok = !open && !tool_outcome_is(none, "error")
         && !tool_outcome_is(fake, "error")
         && (!real || tool_outcome_is(real, "served"));
    tool_probe_line(ctx, "no certificate", none,
                    tool_outcome_is(none, "served") ? "  <- ORIGIN OPEN" : "");
    tool_probe_line(ctx, "throwaway cert", fake,
                    tool_outcome_is(fake, "served") ? "  <- ORIGIN OPEN" : "");
    if (real) {
        tool_probe_line(ctx, "real certificate", real,
                        tool_outcome_is(real, "served") ? "  (accepted)"
                                                        : "  <- REFUSED");
    }
    if (open) {
        tool_error("%s: origin open: it serves pulls that bypass Cloudflare",
                   where);
    }
    else if (tool_outcome_is(fake, "error")
             || (real && tool_outcome_is(real, "error"))) {
        tool_error("%s: the origin could not be probed", where);
    }
    else if (real && !tool_outcome_is(real, "served")) {
        tool_error("%s: the origin refuses the real certificate (%s)", where,
                   tool_json_show(real, "detail"));
    }
    run->failed |= !ok;
    res = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o?, s:b, s:b}", "hostname",
                    host, "origin", where + strlen(host) + 5,
                    "server_certificate", server, "no_certificate", none,
                    "throwaway", fake, "real", real, "open", open, "ok", ok);
    json_array_append_new(run->results, res);
}

/* The origin addresses of HOST from the zone's proxied DNS records: its
 * own, else a wildcard's. */
static void tool_probe_dns_addrs(const json_t *records, const char *host,
                                 tool_strlist *addrs)
{
    const char *dot = strchr(host, '.');
    char wild[AOP_HOSTNAME_MAX + 2];
    const json_t *r;
    size_t i;
    int pass;

    snprintf(wild, sizeof(wild), "*%s", dot ? dot : "");
    for (pass = 0; pass < 2 && addrs->n == 0; pass++) {
        json_array_foreach (records, i, r) {
            const char *type = tool_json_show(r, "type");

            if (strcmp(tool_json_show(r, "name"), pass ? wild : host) == 0
                && json_is_true(json_object_get(r, "proxied"))
                && (!strcmp(type, "A") || !strcmp(type, "AAAA")
                    || !strcmp(type, "CNAME"))
                && tool_json_str(r, "content")) {
                tool_strlist_add(addrs, tool_json_str(r, "content"));
            }
        }
    }
}

static void tool_probe_host(tool_probe_run *run, const char *host,
                            const json_t *records)
{
    tool_ctx *ctx = run->ctx;
    const char *dflt = ctx->opt.port ? ctx->opt.port : "443";
    tool_strlist addrs = {NULL, 0};
    char addr[300], port[16];
    int i;

    for (i = 0; i < ctx->opt.origins.n; i++) {
        tool_strlist_add(&addrs, ctx->opt.origins.v[i]);
    }
    if (records) {
        tool_probe_dns_addrs(records, host, &addrs);
    }
    if (addrs.n == 0) {
        tool_error("%s: no proxied DNS record (A, AAAA or CNAME) names it: "
                   "Cloudflare does not pull it",
                   host);
        run->failed = 1;
    }
    for (i = 0; i < addrs.n; i++) {
        if (tool_probe_split(addrs.v[i], dflt, addr, sizeof(addr), port,
                             sizeof(port))
            == 0) {
            tool_probe_one(run, host, addr, port);
        }
    }
    tool_strlist_free(&addrs);
}

int tool_cmd_probe(tool_ctx *ctx)
{
    tool_probe_run run;
    json_t *records = NULL;
    char mode[32] = "";
    int i, rc;

    memset(&run, 0, sizeof(run));
    run.ctx = ctx;
    run.results = json_array();
    rc = tool_setting_get(ctx, "ssl", mode, sizeof(mode));
    if (rc == TOOL_EXIT_OK && ctx->opt.from_dns) {
        rc = tool_api_get_list(
            ctx, 0, &records, "/zones/%s/dns_records?proxied=true&per_page=100",
            ctx->zone_id);
    }
    if (rc == TOOL_EXIT_OK
        && tool_probe_throwaway(&run.throwaway, &run.throwaway_key) != 0) {
        tool_error("cannot make a throwaway certificate");
        rc = tool_exit_code(TOOL_FAILED_MEMORY);
    }
    if (rc == TOOL_EXIT_OK) {
        run.strict =
            strcmp(mode, "strict") == 0 || strcmp(mode, "origin_pull") == 0;
        tool_ssl_mode_warn(ctx, mode);
        for (i = 0; i < ctx->argc; i++) {
            tool_probe_host(&run, ctx->argv[i], records);
        }
        tool_out_result(ctx,
                        json_pack("{s:s, s:s, s:O}", "zone_id", ctx->zone_id,
                                  "ssl_mode", mode, "probes", run.results));
        rc = run.failed ? tool_exit_code(TOOL_FAILED_CHECK) : TOOL_EXIT_OK;
    }
    X509_free(run.throwaway);
    EVP_PKEY_free(run.throwaway_key);
    json_decref(records);
    json_decref(run.results);
    return rc;
}
