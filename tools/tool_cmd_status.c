/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * status: every AOP level of a zone in one view (SSL/TLS mode, global,
 * zone-level, hostname certificates, named hostnames' associations), with
 * the warnings that explain why AOP would not work as intended.
 */
#include <stdio.h>
#include <string.h>

#include "tool_api.h"
#include "tool_certs.h"
#include "tool_cmds.h"
#include "tool_out.h"

/* Status of a certificate in a list, or NULL when it is not there. */
static const char *tool_status_of(const json_t *list, const char *id)
{
    json_t *item;
    size_t i;

    json_array_foreach(list, i, item) {
        if (id && strcmp(tool_json_show(item, "id"), id) == 0) {
            return tool_json_str(item, "status");
        }
    }
    return NULL;
}

static void tool_status_warn_assoc(tool_ctx *ctx, const json_t *view, const json_t *host_certs)
{
    const char *host = tool_json_show(view, "hostname");
    const char *st = tool_json_show(view, "status");
    const char *cst = tool_json_str(view, "cert_status");
    json_t *days = json_object_get(view, "days_left");

    if (!json_is_true(json_object_get(view, "associated"))) {
        return;
    }
    if (!cst) {
        cst = tool_status_of(host_certs, tool_json_str(view, "cert_id"));
    }
    if (json_is_true(json_object_get(view, "enabled")) && (!cst || strcmp(cst, "active") != 0)) {
        tool_warn(ctx, "%s: association enabled but its certificate %s is %s", host,
                  tool_json_show(view, "cert_id"), cst ? cst : "missing");
    }
    if (strstr(st, "timed_out")) {
        tool_warn(ctx, "%s: association is %s", host, st);
    }
    if (json_is_integer(days) && json_integer_value(days) < TOOL_EXPIRY_WARN_DAYS) {
        tool_warn(ctx, "%s: its certificate %s %s %" JSON_INTEGER_FORMAT " days", host,
                  tool_json_show(view, "cert_id"),
                  json_integer_value(days) < 0 ? "expired" : "expires in",
                  json_integer_value(days) < 0 ? -json_integer_value(days)
                                               : json_integer_value(days));
    }
}

int tool_cmd_status(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    char ssl[64], global[64];
    int zone_on = 0, active, i, rc;
    size_t j;
    json_t *zone_certs = NULL, *host_certs = NULL, *hosts = json_array(), *assoc = NULL, *view;

    (void)cmd;
    rc = tool_zone_resolve(ctx);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_setting_get(ctx, "ssl", ssl, sizeof(ssl));
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_setting_get(ctx, "tls_client_auth", global, sizeof(global));
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_aop_get(ctx, &zone_on);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &zone_certs);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_list(ctx, TOOL_CERT_HOSTNAME, &host_certs);
    }
    for (i = 0; rc == TOOL_EXIT_OK && i < argc; i++) {
        rc = tool_assoc_get(ctx, argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK; /* shown as "no association" */
        }
        if (rc == TOOL_EXIT_OK) {
            json_array_append_new(hosts, tool_assoc_view(argv[i], assoc));
        }
        json_decref(assoc);
        assoc = NULL;
    }
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }

    if (ctx->zone_name) {
        tool_print(ctx, "zone                   %s (%s)\n", ctx->zone_name, ctx->zone_id);
    } else {
        tool_print(ctx, "zone                   %s\n", ctx->zone_id);
    }
    tool_print(ctx, "SSL/TLS mode           %s\n", ssl);
    tool_print(ctx, "global AOP             %s  (tls_client_auth: Cloudflare's shared "
                    "certificate)\n", global);
    tool_print(ctx, "zone-level AOP         %s\n", zone_on ? "on" : "off");
    tool_print(ctx, "zone certificates:\n");
    tool_certs_print_table(ctx, zone_certs, "  ");
    tool_print(ctx, "hostname certificates:\n");
    tool_certs_print_table(ctx, host_certs, "  ");
    if (argc > 0) {
        tool_print(ctx, "hostnames:\n");
        json_array_foreach(hosts, j, view) {
            tool_print(ctx, "  ");
            tool_assoc_print(ctx, view);
        }
    }
    fflush(stdout);

    tool_ssl_mode_warn(ctx, ssl);
    active = tool_certs_warn(ctx, TOOL_CERT_ZONE, zone_certs);
    if (zone_on && active == 0) {
        tool_warn(ctx, "zone-level AOP is on but no zone certificate is active: Cloudflare "
                  "has no zone certificate to present");
    }
    tool_certs_warn(ctx, TOOL_CERT_HOSTNAME, host_certs);
    json_array_foreach(hosts, j, view) {
        tool_status_warn_assoc(ctx, view, host_certs);
    }

    tool_out_result(ctx, json_pack("{s:{s:s, s:s?}, s:s, s:s, s:{s:b, s:O}, s:O, s:O}", "zone",
                                   "id", ctx->zone_id, "name", ctx->zone_name, "ssl_mode", ssl,
                                   "global_aop", global, "zone_aop", "enabled", zone_on,
                                   "certificates", zone_certs, "hostname_certificates",
                                   host_certs, "hostnames", hosts));

cleanup:
    json_decref(zone_certs);
    json_decref(host_certs);
    json_decref(hosts);
    json_decref(assoc);
    return rc;
}
