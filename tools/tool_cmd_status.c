/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * status: every AOP level of a zone in one view (SSL/TLS mode, global,
 * zone-level, hostname certificates, named hostnames' associations), with
 * the warnings that explain why AOP would not work as intended.
 */
#include <stdio.h>
#include <string.h>

#include "tool_assoc.h"
#include "tool_certs.h"
#include "tool_cmds.h"
#include "tool_out.h"
#include "tool_settings.h"
#include "tool_util.h"

static void tool_status_warn_assoc(tool_ctx *ctx, const json_t *view,
                                   const json_t *host_certs)
{
    const char *host = tool_json_show(view, "hostname");
    const char *st = tool_json_show(view, "status");
    const char *cst = tool_json_str(view, "cert_status");
    json_t *days = json_object_get(view, "days_left");

    if (!json_is_true(json_object_get(view, "associated"))) {
        return;
    }
    if (!cst) {
        cst = tool_json_str(
            tool_certs_find(host_certs, tool_json_str(view, "cert_id")),
            "status");
    }
    if (json_is_true(json_object_get(view, "enabled"))
        && (!cst || strcmp(cst, "active") != 0)) {
        tool_warn(ctx, "%s: association enabled but its certificate %s is %s",
                  host, tool_json_show(view, "cert_id"), cst ? cst : "missing");
    }
    if (strstr(st, "timed_out")) {
        tool_warn(ctx, "%s: association is %s", host, st);
    }
    if (json_is_integer(days)
        && json_integer_value(days) < TOOL_EXPIRY_WARN_DAYS) {
        tool_warn(ctx,
                  "%s: its certificate %s %s %" JSON_INTEGER_FORMAT " days",
                  host, tool_json_show(view, "cert_id"),
                  json_integer_value(days) < 0 ? "expired" : "expires in",
                  json_integer_value(days) < 0 ? -json_integer_value(days)
                                               : json_integer_value(days));
    }
}

/* Everything status shows, read before anything is printed. */
typedef struct tool_status {
    char ssl[64];
    char global[64];
    int zone_on;
    json_t *zone_certs;
    json_t *host_certs;
    json_t *hosts; /* association views of the named hostnames */
} tool_status;

static int tool_status_read(tool_ctx *ctx, tool_status *st)
{
    json_t *assoc = NULL;
    int i, rc;

    rc = tool_setting_get(ctx, "ssl", st->ssl, sizeof(st->ssl));
    if (rc == TOOL_EXIT_OK) {
        rc = tool_setting_get(ctx, "tls_client_auth", st->global,
                              sizeof(st->global));
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_aop_get(ctx, &st->zone_on);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &st->zone_certs);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_list(ctx, TOOL_CERT_HOSTNAME, &st->host_certs);
    }
    for (i = 0; rc == TOOL_EXIT_OK && i < ctx->argc; i++) {
        rc = tool_assoc_get(ctx, ctx->argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK; /* shown as "no association" */
        }
        if (rc == TOOL_EXIT_OK) {
            json_array_append_new(st->hosts,
                                  tool_assoc_view(ctx->argv[i], assoc));
        }
        json_decref(assoc);
        assoc = NULL;
    }
    return rc;
}

static void tool_status_print(tool_ctx *ctx, const tool_status *st)
{
    json_t *view;
    size_t j;

    if (ctx->zone_name) {
        tool_print(ctx, "zone                   %s (%s)\n", ctx->zone_name,
                   ctx->zone_id);
    }
    else {
        tool_print(ctx, "zone                   %s\n", ctx->zone_id);
    }
    tool_print(ctx, "SSL/TLS mode           %s\n", st->ssl);
    tool_print(ctx,
               "global AOP             %s  (tls_client_auth: Cloudflare's "
               "shared certificate)\n",
               st->global);
    tool_print(ctx, "zone-level AOP         %s\n", st->zone_on ? "on" : "off");
    tool_print(ctx, "zone certificates:\n");
    tool_certs_print_table(ctx, st->zone_certs, "  ");
    tool_print(ctx, "hostname certificates:\n");
    tool_certs_print_table(ctx, st->host_certs, "  ");
    if (ctx->argc > 0) {
        tool_print(ctx, "hostnames:\n");
        json_array_foreach (st->hosts, j, view) {
            tool_print(ctx, "  ");
            tool_assoc_print(ctx, view);
        }
    }
    fflush(stdout);
}

static void tool_status_warn(tool_ctx *ctx, const tool_status *st)
{
    json_t *view;
    size_t j;
    int active;

    tool_ssl_mode_warn(ctx, st->ssl);
    active = tool_certs_warn(ctx, TOOL_CERT_ZONE, st->zone_certs);
    if (st->zone_on && active == 0) {
        tool_warn(ctx, "zone-level AOP is on but no zone certificate is "
                       "active: Cloudflare has no zone certificate to present");
    }
    tool_certs_warn(ctx, TOOL_CERT_HOSTNAME, st->host_certs);
    json_array_foreach (st->hosts, j, view) {
        tool_status_warn_assoc(ctx, view, st->host_certs);
    }
}

int tool_cmd_status(tool_ctx *ctx)
{
    tool_status st;
    int rc;

    memset(&st, 0, sizeof(st));
    st.hosts = json_array();
    rc = tool_status_read(ctx, &st);
    if (rc == TOOL_EXIT_OK) {
        tool_status_print(ctx, &st);
        tool_status_warn(ctx, &st);
        tool_out_result(
            ctx, json_pack("{s:{s:s, s:s?}, s:s, s:s, s:{s:b, s:O}, s:O, s:O}",
                           "zone", "id", ctx->zone_id, "name", ctx->zone_name,
                           "ssl_mode", st.ssl, "global_aop", st.global,
                           "zone_aop", "enabled", st.zone_on, "certificates",
                           st.zone_certs, "hostname_certificates",
                           st.host_certs, "hostnames", st.hosts));
    }
    json_decref(st.zone_certs);
    json_decref(st.host_certs);
    json_decref(st.hosts);
    return rc;
}
