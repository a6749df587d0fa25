/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aop_hostname.h"
#include "tool_api.h"
#include "tool_assoc.h"
#include "tool_certs.h"
#include "tool_out.h"
#include "tool_util.h"

/* The API's limit on a hostname. */
#define TOOL_HOSTNAME_MAX 255
/* The API's code for "no route": an invalid identifier, not a missing
 * association. */
#define TOOL_API_NO_ROUTE 7003

int tool_hosts_normalize(int argc, char **argv)
{
    char norm[AOP_HOSTNAME_MAX];
    int i, wild;

    for (i = 0; i < argc; i++) {
        /* Cloudflare for SaaS allows wildcard custom hostnames. */
        wild = strncmp(argv[i], "*.", 2) == 0;
        if (aop_hostname_normalize(argv[i] + (wild ? 2 : 0), 0, norm) != 0
            || strlen(norm) + (wild ? 2 : 0) > TOOL_HOSTNAME_MAX) {
            tool_error("'%s' is not a hostname", argv[i]);
            return tool_exit_code(TOOL_FAILED_USAGE);
        }
        /* The normal form is never longer than the argument. */
        snprintf(argv[i], strlen(argv[i]) + 1, "%s%s", wild ? "*." : "", norm);
    }
    return TOOL_EXIT_OK;
}

int tool_assoc_get(tool_ctx *ctx, const char *host, json_t **assoc)
{
    int rc;

    rc = tool_api_callf(
        ctx, TOOL_GET, NULL, TOOL_API_NOREPORT | TOOL_WANT_OBJECT, assoc,
        "/zones/%s/origin_tls_client_auth/hostnames/%s", ctx->zone_id, host);
    if (rc == TOOL_EXIT_NOTFOUND
        && tool_api_last_error(ctx)->code != TOOL_API_NO_ROUTE) {
        return rc; /* no association: for the caller to judge */
    }
    if (rc != TOOL_EXIT_OK) {
        return tool_api_report(ctx);
    }
    if (!tool_json_str(*assoc, "cert_id")
        || json_is_null(json_object_get(*assoc, "enabled"))) {
        /* A voided association is no association. */
        json_decref(*assoc);
        *assoc = NULL;
        return tool_exit_code(TOOL_FAILED_NOTFOUND);
    }
    return TOOL_EXIT_OK;
}

json_t *tool_assoc_view(const char *host, const json_t *raw)
{
    json_t *cert = raw ? tool_certs_view(raw) : NULL;
    json_t *v;

    if (!raw) {
        return json_pack("{s:s, s:b}", "hostname", host, "associated", 0);
    }
    v = json_pack("{s:s, s:b, s:s?, s:O?, s:s?, s:s?, s:O?, s:O?, s:O?, s:O?}",
                  "hostname", host, "associated", 1, "cert_id",
                  tool_json_str(raw, "cert_id"), "enabled",
                  json_object_get(raw, "enabled"), "status",
                  tool_json_str(raw, "status"), "cert_status",
                  tool_json_str(raw, "cert_status"), "subject_cn",
                  json_object_get(cert, "subject_cn"), "expires_on",
                  json_object_get(cert, "expires_on"), "days_left",
                  json_object_get(cert, "days_left"), "sha256",
                  json_object_get(cert, "sha256"));
    json_decref(cert);
    return v;
}

void tool_assoc_print(tool_ctx *ctx, const json_t *view)
{
    char about[TOOL_ABOUT_LEN];

    if (!json_is_true(json_object_get(view, "associated"))) {
        tool_print(ctx,
                   "%-30s  no association (zone-level or global AOP applies)\n",
                   tool_json_show(view, "hostname"));
        return;
    }
    tool_print(ctx, "%-30s  %-8s  %-20s  cert %s (%s; %s)\n",
               tool_json_show(view, "hostname"),
               json_is_true(json_object_get(view, "enabled")) ? "enabled"
                                                              : "disabled",
               tool_json_show(view, "status"), tool_json_show(view, "cert_id"),
               tool_cert_about(view, about, sizeof(about)),
               tool_json_show(view, "cert_status"));
}

int tool_assoc_put(tool_ctx *ctx, int argc, char **argv, const char *cert_id,
                   json_t *cert_ids, json_t *enabled, json_t **result)
{
    json_t *config = json_array(), *body = NULL, *en;
    const char *id;
    int i, rc = tool_exit_code(TOOL_FAILED_MEMORY);

    for (i = 0; config && i < argc; i++) {
        id = cert_id ? cert_id
                     : json_string_value(json_array_get(cert_ids, (size_t)i));
        en = json_is_array(enabled) ? json_array_get(enabled, (size_t)i)
                                    : enabled;
        json_array_append_new(
            config, json_pack("{s:s, s:s, s:O}", "hostname", argv[i], "cert_id",
                              id ? id : "", "enabled", en ? en : json_true()));
    }
    body = config ? json_pack("{s:O}", "config", config) : NULL;
    if (body) {
        rc = tool_api_callf(ctx, TOOL_PUT, body, TOOL_WANT_ARRAY, result,
                            "/zones/%s/origin_tls_client_auth/hostnames",
                            ctx->zone_id);
    }
    json_decref(config);
    json_decref(body);
    return rc;
}

static const char *tool_assoc_verb(const json_t *enabled)
{
    if (json_is_true(enabled)) {
        return "enabled with";
    }
    return json_is_false(enabled) ? "disabled," : "association voided,";
}

/* The PUT's answer item for HOST, or NULL. */
static json_t *tool_assoc_find(const json_t *result, const char *host)
{
    json_t *item, *found = NULL;
    size_t j;

    json_array_foreach (result, j, item) {
        const char *h = tool_json_str(item, "hostname");

        if (h && strcasecmp(h, host) == 0) {
            found = item;
        }
    }
    return found;
}

void tool_assoc_report_put(tool_ctx *ctx, int argc, char **argv,
                           const char *cert_id, const json_t *cert,
                           json_t *enabled, json_t *result)
{
    json_t *out = json_array(), *found, *item, *en, *view;
    char about[TOOL_ABOUT_LEN];
    int i;

    for (i = 0; out && i < argc; i++) {
        found = tool_assoc_find(result, argv[i]);
        en = json_is_array(enabled) ? json_array_get(enabled, (size_t)i)
                                    : enabled;
        /* The answer carries the certificate; a dry run has only the one
         * the caller knows. */
        view = found ? tool_certs_view(found) : json_incref((json_t *)cert);
        if (found) {
            item = json_pack("{s:s, s:O?, s:O?, s:O?}", "hostname", argv[i],
                             "cert_id", json_object_get(found, "cert_id"),
                             "enabled", json_object_get(found, "enabled"),
                             "status", json_object_get(found, "status"));
        }
        else {
            item = json_pack("{s:s, s:s?, s:O?}", "hostname", argv[i],
                             "cert_id", cert_id, "enabled", en);
        }
        tool_certs_name(item, view);
        json_array_append_new(out, item);
        tool_print(ctx, "%s: %s cert %s (%s) (%s)\n", argv[i],
                   tool_assoc_verb(en), tool_json_show(item, "cert_id"),
                   tool_cert_about(item, about, sizeof(about)),
                   ctx->cfg.dry_run ? "dry-run"
                                    : tool_json_show(item, "status"));
        json_decref(view);
    }
    tool_out_result(ctx, json_pack("{s:s, s:o}", "zone_id", ctx->zone_id,
                                   "hostnames", out));
}

/* Waiting for one hostname's association to be active on a certificate. */
typedef struct tool_assoc_probe_arg {
    const char *host;
    const char *cert_id;
} tool_assoc_probe_arg;

static tool_probe tool_assoc_probe(tool_ctx *ctx, void *argp, char *state,
                                   size_t len, int *rc)
{
    tool_assoc_probe_arg *arg = argp;
    json_t *assoc = NULL;
    const char *st, *cst;
    tool_probe r = TOOL_PROBE_PENDING;

    *rc = tool_assoc_get(ctx, arg->host, &assoc);
    if (*rc == TOOL_EXIT_NOTFOUND) {
        tool_error("%s lost its association while waiting", arg->host);
        *rc = tool_exit_code(TOOL_FAILED_STATE);
        return TOOL_PROBE_ERROR;
    }
    if (*rc != TOOL_EXIT_OK) {
        return TOOL_PROBE_ERROR;
    }
    st = tool_json_show(assoc, "status");
    cst = tool_json_show(assoc, "cert_status");
    snprintf(state, len, "%s", st);
    if (!tool_id_eq(tool_json_show(assoc, "cert_id"), arg->cert_id)) {
        snprintf(state, len, "on another certificate, %s",
                 tool_json_show(assoc, "cert_id"));
        r = TOOL_PROBE_FAILED; /* someone else changed it meanwhile */
    }
    else if (strstr(st, "timed_out") || strstr(cst, "timed_out")
             || strcmp(st, "deleted") == 0) {
        r = TOOL_PROBE_FAILED;
    }
    else if (strcmp(st, "active") == 0) {
        r = TOOL_PROBE_DONE;
    }
    json_decref(assoc);
    return r;
}

int tool_assoc_wait_active(tool_ctx *ctx, const char *host, const char *cert_id,
                           double deadline)
{
    tool_assoc_probe_arg arg = {host, cert_id};
    tool_buf what = TOOL_BUF_INIT;
    int rc;

    tool_buf_printf(&what, "%s is active on certificate %s", host, cert_id);
    rc = tool_wait_for(ctx, tool_buf_str(&what) ? tool_buf_str(&what) : host,
                       deadline, tool_assoc_probe, &arg);
    tool_buf_free(&what);
    return rc;
}
