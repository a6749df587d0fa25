/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_api.h"
#include "tool_assoc.h"
#include "tool_buf.h"
#include "tool_certs.h"
#include "tool_edge.h"
#include "tool_out.h"
#include "tool_settings.h"
#include "tool_util.h"

int tool_edge_load(tool_ctx *ctx, const char *const *hosts, size_t nhosts,
                   tool_edge *e)
{
    char global[16] = "";
    json_t *assoc;
    size_t i;
    int rc;

    memset(e, 0, sizeof(*e));
    e->assocs = json_object();
    rc = tool_setting_get(ctx, "ssl", e->ssl_mode, sizeof(e->ssl_mode));
    if (rc == TOOL_EXIT_OK) {
        rc = tool_setting_get(ctx, "tls_client_auth", global, sizeof(global));
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_aop_get(ctx, &e->zone_on);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &e->zone_certs);
    }
    e->global_on = strcmp(global, "on") == 0;
    for (i = 0; rc == TOOL_EXIT_OK && i < nhosts; i++) {
        if (json_object_get(e->assocs, hosts[i])) {
            continue;
        }
        assoc = NULL;
        rc = tool_assoc_get(ctx, hosts[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK; /* no association: zone or global apply */
        }
        else if (rc == TOOL_EXIT_OK) {
            json_object_set_new(e->assocs, hosts[i], assoc);
        }
    }
    if (!e->assocs && rc == TOOL_EXIT_OK) {
        tool_error("out of memory");
        rc = tool_exit_code(TOOL_FAILED_MEMORY);
    }
    return rc;
}

int tool_edge_copy(const tool_edge *src, tool_edge *dst)
{
    *dst = *src;
    dst->zone_certs = json_deep_copy(src->zone_certs);
    dst->assocs = json_deep_copy(src->assocs);
    return dst->zone_certs && dst->assocs ? 0 : -1;
}

void tool_edge_free(tool_edge *e)
{
    json_decref(e->zone_certs);
    json_decref(e->assocs);
    memset(e, 0, sizeof(*e));
}

static int tool_status_active(const json_t *obj, const char *key)
{
    return strcmp(tool_json_show(obj, key), "active") == 0;
}

/* The most recently uploaded active zone certificate: the one Cloudflare
 * uses when more than one is active. */
static const json_t *tool_edge_zone_cert(const tool_edge *e)
{
    const json_t *best = NULL, *c;
    size_t i;

    json_array_foreach (e->zone_certs, i, c) {
        if (tool_status_active(c, "status")
            && (!best
                || strcmp(tool_json_show(c, "uploaded_on"),
                          tool_json_show(best, "uploaded_on"))
                       > 0)) {
            best = c;
        }
    }
    return best;
}

void tool_edge_presents(const tool_edge *e, const char *host,
                        tool_presented *out)
{
    const json_t *assoc = json_object_get(e->assocs, host), *zc;

    memset(out, 0, sizeof(*out));
    if (!tool_ssl_mode_ok(e->ssl_mode)) {
        out->why = "the SSL/TLS mode is not full or strict: AOP does not "
                   "apply";
        return;
    }
    if (assoc && json_is_false(json_object_get(assoc, "enabled"))) {
        out->why = "the hostname's association is disabled (enabled: false)";
        return;
    }
    if (assoc && json_is_true(json_object_get(assoc, "enabled"))
        && tool_status_active(assoc, "cert_status")) {
        out->level = TOOL_LEVEL_HOSTNAME;
        out->cert = assoc;
        out->cert_id = tool_json_str(assoc, "cert_id");
        out->pem = tool_json_str(assoc, "certificate");
        out->why = "hostname association";
        return;
    }
    if (e->zone_on && (zc = tool_edge_zone_cert(e)) != NULL) {
        out->level = TOOL_LEVEL_ZONE;
        out->cert = zc;
        out->cert_id = tool_json_str(zc, "id");
        out->pem = tool_json_str(zc, "certificate");
        out->why = "zone-level AOP";
        return;
    }
    if (e->global_on) {
        out->level = TOOL_LEVEL_GLOBAL;
        out->why = "global AOP: Cloudflare's shared certificate";
        return;
    }
    out->why = e->zone_on ? "zone-level AOP is on without an active zone "
                            "certificate, and global AOP is off"
                          : "no AOP level is on";
}

int tool_presented_same(const tool_presented *a, const tool_presented *b)
{
    if (a->level != b->level) {
        return 0;
    }
    if (!a->pem || !b->pem) {
        return a->pem == b->pem;
    }
    return strcmp(a->pem, b->pem) == 0;
}

int tool_edge_set_assoc(tool_edge *e, const char *host, const char *cert_id,
                        const char *pem, int enabled)
{
    json_t *a;

    if (enabled < 0) {
        json_object_del(e->assocs, host);
        return 0;
    }
    a = json_pack("{s:s, s:s?, s:s?, s:b, s:s, s:s}", "hostname", host,
                  "cert_id", cert_id, "certificate", pem, "enabled", enabled,
                  "status", "active", "cert_status", "active");
    return a ? json_object_set_new(e->assocs, host, a) : -1;
}

int tool_edge_drop_cert(tool_edge *e, const char *cert_id)
{
    const char *host;
    json_t *a, *tmp;
    size_t i;

    json_object_foreach_safe(e->assocs, tmp, host, a)
    {
        if (tool_id_eq(tool_json_str(a, "cert_id"), cert_id)) {
            json_object_del(e->assocs, host);
        }
    }
    for (i = json_array_size(e->zone_certs); i-- > 0;) {
        if (tool_id_eq(tool_json_str(json_array_get(e->zone_certs, i), "id"),
                       cert_id)) {
            json_array_remove(e->zone_certs, i);
        }
    }
    return 0;
}

json_t *tool_edge_local_view(const tool_local_cert *lc, const char *id)
{
    tool_buf pem = TOOL_BUF_INIT;
    json_t *view;
    char *one;
    int i;

    for (i = 0; i < sk_X509_num(lc->certs); i++) {
        one = aop_cert_to_pem(sk_X509_value(lc->certs, i));
        tool_buf_printf(&pem, "%s", one ? one : "");
        free(one);
    }
    /* Once uploaded it is the newest: the one the edge uses. */
    view =
        json_pack("{s:s, s:s, s:s, s:s}", "id", id, "status", "active",
                  "certificate", tool_buf_str(&pem) ? tool_buf_str(&pem) : "",
                  "uploaded_on", "9999-12-31T23:59:59Z");
    if (view) {
        tool_cert_facts_json(&lc->facts, view);
    }
    tool_buf_free(&pem);
    return view;
}
