/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Per-hostname AOP: hostname certificates and hostname associations. */
#include <stdio.h>
#include <string.h>

#include "aop_hostname.h"
#include "tool_api.h"
#include "tool_certs.h"
#include "tool_cmds.h"
#include "tool_out.h"

int tool_hosts_normalize(int argc, char **argv)
{
    char norm[AOP_HOSTNAME_MAX];
    int i, wild;

    for (i = 0; i < argc; i++) {
        /* Cloudflare for SaaS allows wildcard custom hostnames. */
        wild = strncmp(argv[i], "*.", 2) == 0;
        if (aop_hostname_normalize(argv[i] + (wild ? 2 : 0), 0, norm) != 0
            || strlen(norm) + (wild ? 2 : 0) > 255) {
            tool_error("'%s' is not a hostname", argv[i]);
            return TOOL_EXIT_USAGE;
        }
        /* The normal form is never longer than the argument. */
        snprintf(argv[i], strlen(argv[i]) + 1, "%s%s", wild ? "*." : "", norm);
    }
    return TOOL_EXIT_OK;
}

int tool_assoc_get(tool_ctx *ctx, const char *host, json_t **assoc)
{
    char path[512];
    int rc;

    *assoc = NULL;
    if (tool_api_pathf(path, sizeof(path), "/zones/%s/origin_tls_client_auth/hostnames/%s",
                       ctx->zone_id, host) != 0) {
        return TOOL_EXIT_FAIL;
    }
    rc = tool_api_call(ctx, TOOL_GET, path, NULL, TOOL_API_NOREPORT, assoc);
    if (rc == TOOL_EXIT_NOTFOUND && tool_api_last_error(ctx)->code != 7003) {
        return rc; /* no association: for the caller to judge */
    }
    if (rc != TOOL_EXIT_OK) {
        return tool_api_report(ctx);
    }
    if (!tool_json_str(*assoc, "cert_id") || json_is_null(json_object_get(*assoc, "enabled"))) {
        /* A voided association is no association. */
        json_decref(*assoc);
        *assoc = NULL;
        return TOOL_EXIT_NOTFOUND;
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
    v = json_pack("{s:s, s:b, s:s?, s:O?, s:s?, s:s?, s:O?, s:O?, s:O?}", "hostname", host,
                  "associated", 1, "cert_id", tool_json_str(raw, "cert_id"), "enabled",
                  json_object_get(raw, "enabled"), "status", tool_json_str(raw, "status"),
                  "cert_status", tool_json_str(raw, "cert_status"), "expires_on",
                  json_object_get(cert, "expires_on"), "days_left",
                  json_object_get(cert, "days_left"), "sha256", json_object_get(cert, "sha256"));
    json_decref(cert);
    return v;
}

void tool_assoc_print(tool_ctx *ctx, const json_t *view)
{
    json_t *days = json_object_get(view, "days_left");
    char dtext[24] = "?";

    if (!json_is_true(json_object_get(view, "associated"))) {
        tool_print(ctx, "%-30s  no association (zone-level or global AOP applies)\n",
                   tool_json_show(view, "hostname"));
        return;
    }
    if (json_is_integer(days)) {
        snprintf(dtext, sizeof(dtext), "%" JSON_INTEGER_FORMAT, json_integer_value(days));
    }
    tool_print(ctx, "%-30s  %-8s  %-20s  cert %s (%s, expires %s, %s days)\n",
               tool_json_show(view, "hostname"),
               json_is_true(json_object_get(view, "enabled")) ? "enabled" : "disabled",
               tool_json_show(view, "status"), tool_json_show(view, "cert_id"),
               tool_json_show(view, "cert_status"), tool_json_show(view, "expires_on"), dtext);
}

int tool_cmd_host_upload(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    (void)argc;
    (void)argv;
    return tool_upload(ctx, TOOL_CERT_HOSTNAME);
}

int tool_cmd_host_certs(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    (void)argc;
    (void)argv;
    return tool_list(ctx, TOOL_CERT_HOSTNAME);
}

int tool_cmd_host_cert(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    (void)argc;
    return tool_show(ctx, TOOL_CERT_HOSTNAME, argv[0]);
}

/*
 * One PUT of the hostnames endpoint. Every item carries hostname, cert_id
 * and enabled: the API wants cert_id even to disable or void. `enabled` is
 * json_true(), json_false() or json_null() (void). `cert_ids` gives one id
 * per host, or `cert_id` one for all.
 */
static int tool_assoc_put(tool_ctx *ctx, int argc, char **argv, const char *cert_id,
                          json_t *cert_ids, json_t *enabled, json_t **result)
{
    json_t *config = json_array(), *body = NULL;
    char path[256];
    int i, rc = TOOL_EXIT_FAIL;

    if (!config) {
        goto cleanup;
    }
    for (i = 0; i < argc; i++) {
        const char *id = cert_id ? cert_id : json_string_value(json_array_get(cert_ids, (size_t)i));

        json_array_append_new(config, json_pack("{s:s, s:s, s:O}", "hostname", argv[i],
                                                "cert_id", id ? id : "", "enabled", enabled));
    }
    body = json_pack("{s:O}", "config", config);
    if (!body || tool_api_pathf(path, sizeof(path), "/zones/%s/origin_tls_client_auth/hostnames",
                                ctx->zone_id) != 0) {
        goto cleanup;
    }
    rc = tool_api_call(ctx, TOOL_PUT, path, body, 0, result);

cleanup:
    json_decref(config);
    json_decref(body);
    return rc;
}

/* Prints the PUT's answer per hostname and keeps it for --json. */
static void tool_assoc_report_put(tool_ctx *ctx, int argc, char **argv, const char *cert_id,
                                  json_t *enabled, json_t *result)
{
    json_t *out = json_array(), *item;
    size_t j;
    int i;

    for (i = 0; i < argc; i++) {
        json_t *found = NULL;

        json_array_foreach(result, j, item) {
            const char *h = tool_json_str(item, "hostname");

            if (h && strcasecmp(h, argv[i]) == 0) {
                found = item;
            }
        }
        if (found) {
            json_array_append_new(out, json_pack("{s:s, s:O?, s:O?, s:O?}", "hostname", argv[i],
                                                 "cert_id", json_object_get(found, "cert_id"),
                                                 "enabled", json_object_get(found, "enabled"),
                                                 "status", json_object_get(found, "status")));
        } else {
            json_array_append_new(out, json_pack("{s:s, s:s?, s:O}", "hostname", argv[i],
                                                 "cert_id", cert_id, "enabled", enabled));
        }
        item = json_array_get(out, (size_t)i);
        tool_print(ctx, "%s: %s cert %s (%s)\n", argv[i],
                   json_is_true(enabled)    ? "enabled with"
                   : json_is_false(enabled) ? "disabled,"
                                            : "association voided,",
                   tool_json_show(item, "cert_id"),
                   ctx->dry_run ? "dry-run" : tool_json_show(item, "status"));
    }
    tool_out_result(ctx, json_pack("{s:s, s:o}", "zone_id", ctx->zone_id, "hostnames", out));
}

int tool_cmd_host_enable(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    tool_local_cert lc;
    json_t *cert = NULL, *result = NULL;
    const char *id = ctx->cert_id;
    char mode[64];
    int reused = 0, have_lc = 0, rc;

    (void)cmd;
    memset(&lc, 0, sizeof(lc));
    if (!!ctx->cert_id == !!(ctx->cert_file || ctx->key_file)) {
        tool_error("hostname enable needs --cert-id ID, or --cert FILE --key FILE (not both)");
        return TOOL_EXIT_USAGE;
    }
    if (ctx->cert_id && !tool_is_cert_id(ctx->cert_id)) {
        tool_error("'%s' is not a certificate id", ctx->cert_id);
        return TOOL_EXIT_USAGE;
    }
    rc = tool_hosts_normalize(argc, argv);
    if (rc != TOOL_EXIT_OK) {
        return rc;
    }
    if (!ctx->cert_id) {
        rc = tool_local_load(ctx, TOOL_CERT_HOSTNAME, &lc);
        if (rc != TOOL_EXIT_OK) {
            return rc;
        }
        have_lc = 1;
    }
    rc = tool_zone_resolve(ctx);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_ssl_mode_check(ctx, mode, sizeof(mode));
    }
    if (rc == TOOL_EXIT_OK && have_lc) {
        rc = tool_certs_upload(ctx, TOOL_CERT_HOSTNAME, &lc, NULL, &cert, &reused);
        id = tool_json_show(cert, "id");
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_assoc_put(ctx, argc, argv, id, NULL, json_true(), &result);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_assoc_report_put(ctx, argc, argv, id, json_true(), result);
    }
    json_decref(result);
    json_decref(cert);
    if (have_lc) {
        tool_local_free(&lc);
    }
    return rc;
}

/* disable (enabled:false) and remove (enabled:null): both need each host's
 * current cert_id, which only a lookup gives. */
int tool_cmd_host_disable(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    int void_it = strcmp(cmd->sub, "remove") == 0, i, n = 0, rc;
    json_t *ids = json_array(), *assoc = NULL, *result = NULL;
    json_t *enabled = void_it ? json_null() : json_false();
    char **hosts = argv;

    rc = tool_hosts_normalize(argc, argv);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_resolve(ctx);
    }
    for (i = 0; rc == TOOL_EXIT_OK && i < argc; i++) {
        rc = tool_assoc_get(ctx, argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND && void_it) {
            /* Nothing to void: the wanted end state already holds. */
            tool_info(ctx, "%s has no association; nothing to remove", argv[i]);
            rc = TOOL_EXIT_OK;
            continue;
        }
        if (rc == TOOL_EXIT_NOTFOUND) {
            tool_error("%s has no hostname association to disable", argv[i]);
            break;
        }
        if (rc != TOOL_EXIT_OK) {
            break;
        }
        /* Keep the hosts that need a PUT at the front, in order. */
        hosts[n++] = argv[i];
        json_array_append_new(ids, json_string(tool_json_show(assoc, "cert_id")));
        json_decref(assoc);
        assoc = NULL;
    }
    if (rc == TOOL_EXIT_OK && n > 0) {
        rc = tool_assoc_put(ctx, n, hosts, NULL, ids, enabled, &result);
        if (rc == TOOL_EXIT_OK) {
            json_t *out;
            int k;

            /* Report with the cert_ids that were sent. */
            tool_assoc_report_put(ctx, n, hosts, NULL, enabled, result);
            out = json_object_get(ctx->result, "hostnames");
            for (k = 0; k < n; k++) {
                json_t *item = json_array_get(out, (size_t)k);

                if (!tool_json_str(item, "cert_id")) {
                    json_object_set(item, "cert_id", json_array_get(ids, (size_t)k));
                }
            }
        }
    } else if (rc == TOOL_EXIT_OK) {
        tool_out_result(ctx, json_pack("{s:s, s:[]}", "zone_id", ctx->zone_id, "hostnames"));
    }
    json_decref(assoc);
    json_decref(ids);
    json_decref(result);
    return rc;
}

int tool_cmd_host_show(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    json_t *out = json_array(), *assoc = NULL, *view;
    int i, rc, worst = TOOL_EXIT_OK;

    (void)cmd;
    rc = tool_hosts_normalize(argc, argv);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_resolve(ctx);
    }
    for (i = 0; rc == TOOL_EXIT_OK && i < argc; i++) {
        rc = tool_assoc_get(ctx, argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            /* Show the others too; the exit code says one was missing. */
            worst = rc;
            rc = TOOL_EXIT_OK;
        }
        if (rc != TOOL_EXIT_OK) {
            break;
        }
        view = tool_assoc_view(argv[i], assoc);
        tool_assoc_print(ctx, view);
        json_array_append_new(out, view);
        json_decref(assoc);
        assoc = NULL;
    }
    if (rc == TOOL_EXIT_OK) {
        tool_out_result(ctx, json_pack("{s:s, s:O}", "zone_id", ctx->zone_id, "hostnames", out));
        rc = worst;
        if (rc == TOOL_EXIT_NOTFOUND) {
            tool_error("some hostnames have no association");
        }
    }
    json_decref(out);
    return rc;
}

int tool_cmd_host_delete_cert(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    const char *id = argv[0];
    json_t *list = NULL, *assoc = NULL, *item, *h;
    size_t i, j;
    int k, rc;

    (void)cmd;
    if (!tool_is_cert_id(id)) {
        tool_error("'%s' is not a certificate id", id);
        return TOOL_EXIT_USAGE;
    }
    rc = tool_hosts_normalize(argc - 1, argv + 1);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_resolve(ctx);
    }
    if (rc != TOOL_EXIT_OK || ctx->force) {
        goto delete;
    }
    /* Refuse while a known association uses the certificate: the named
     * hostnames, and those the certificate list reports (when the API's
     * list carries associations). */
    for (k = 1; k < argc; k++) {
        rc = tool_assoc_get(ctx, argv[k], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK;
            continue;
        }
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
        }
        if (strcmp(tool_json_show(assoc, "cert_id"), id) == 0) {
            tool_error("refusing to delete %s: %s still uses it (move it with cfaop hostname "
                       "rotate/enable, void it with cfaop hostname remove, or use --force)",
                       id, argv[k]);
            rc = TOOL_EXIT_FAIL;
            goto cleanup;
        }
        json_decref(assoc);
        assoc = NULL;
    }
    rc = tool_certs_list(ctx, TOOL_CERT_HOSTNAME, &list);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    json_array_foreach(list, i, item) {
        if (strcmp(tool_json_show(item, "id"), id) != 0) {
            continue;
        }
        json_array_foreach(json_object_get(item, "hostnames"), j, h) {
            tool_error("refusing to delete %s: %s still uses it (or use --force)", id,
                       tool_json_show(h, "hostname"));
            rc = TOOL_EXIT_FAIL;
            goto cleanup;
        }
    }

delete:
    if (rc == TOOL_EXIT_OK) {
        rc = tool_delete_cert_command(ctx, TOOL_CERT_HOSTNAME, id);
    }

cleanup:
    json_decref(assoc);
    json_decref(list);
    return rc;
}

/* Waiting for one hostname's association to be active on a certificate. */
typedef struct tool_assoc_probe_arg {
    const char *host;
    const char *cert_id;
} tool_assoc_probe_arg;

static int tool_assoc_probe(tool_ctx *ctx, void *argp, char *state, size_t len)
{
    tool_assoc_probe_arg *arg = argp;
    json_t *assoc = NULL;
    const char *st, *cst;
    int rc, r = TOOL_PROBE_PENDING;

    rc = tool_assoc_get(ctx, arg->host, &assoc);
    if (rc == TOOL_EXIT_NOTFOUND) {
        tool_error("%s lost its association while waiting", arg->host);
        return -TOOL_EXIT_FAIL;
    }
    if (rc != TOOL_EXIT_OK) {
        return -rc;
    }
    st = tool_json_show(assoc, "status");
    cst = tool_json_show(assoc, "cert_status");
    snprintf(state, len, "%s", st);
    if (strcmp(tool_json_show(assoc, "cert_id"), arg->cert_id) != 0) {
        snprintf(state, len, "on another certificate, %s", tool_json_show(assoc, "cert_id"));
        r = TOOL_PROBE_FAILED; /* someone else changed it meanwhile */
    } else if (strstr(st, "timed_out") || strstr(cst, "timed_out")
               || strcmp(st, "deleted") == 0) {
        r = TOOL_PROBE_FAILED;
    } else if (strcmp(st, "active") == 0) {
        r = TOOL_PROBE_DONE;
    }
    json_decref(assoc);
    return r;
}

int tool_cmd_host_rotate(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    tool_local_cert lc;
    json_t *old_ids = json_array(), *cert = NULL, *assoc = NULL, *list = NULL, *result = NULL;
    json_t *deleted = json_array(), *kept = json_array(), *item, *h;
    tool_assoc_probe_arg parg;
    const char *new_id = NULL, *old;
    char what[600];
    double deadline;
    int reused = 0, have_lc = 0, i, rc, in_use;
    size_t j, k, m;

    (void)cmd;
    rc = tool_hosts_normalize(argc, argv);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_local_load(ctx, TOOL_CERT_HOSTNAME, &lc);
        have_lc = rc == TOOL_EXIT_OK;
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_resolve(ctx);
    }
    /* The certificates the hosts use now: candidates for deletion. */
    for (i = 0; rc == TOOL_EXIT_OK && i < argc; i++) {
        rc = tool_assoc_get(ctx, argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK; /* a new host: nothing to retire */
            continue;
        }
        old = tool_json_str(assoc, "cert_id");
        if (rc == TOOL_EXIT_OK && old) {
            int seen = 0;

            json_array_foreach(old_ids, j, item) {
                seen |= strcmp(json_string_value(item), old) == 0;
            }
            if (!seen) {
                json_array_append_new(old_ids, json_string(old));
            }
        }
        json_decref(assoc);
        assoc = NULL;
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_upload(ctx, TOOL_CERT_HOSTNAME, &lc, NULL, &cert, &reused);
    }
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    new_id = tool_json_show(cert, "id");
    deadline = tool_now() + ctx->wait;
    /* Associating a certificate that never deploys would leave the hosts
     * without one: wait first, and change nothing if it fails. */
    rc = tool_certs_wait_active(ctx, TOOL_CERT_HOSTNAME, new_id, deadline);
    if (rc != TOOL_EXIT_OK) {
        tool_error("rotation stopped before any hostname was changed");
        goto cleanup;
    }
    rc = tool_assoc_put(ctx, argc, argv, new_id, NULL, json_true(), &result);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    for (i = 0; i < argc; i++) {
        parg.host = argv[i];
        parg.cert_id = new_id;
        snprintf(what, sizeof(what), "%s is active on certificate %s", argv[i], new_id);
        rc = tool_wait_for(ctx, what, deadline, tool_assoc_probe, &parg);
        if (rc != TOOL_EXIT_OK) {
            tool_error("rotation stopped; no old certificate was deleted");
            goto cleanup;
        }
    }
    /* Delete an old certificate only when no known association uses it:
     * the named hosts now all use the new one; the certificate list tells
     * about others when it carries associations. */
    rc = tool_certs_list(ctx, TOOL_CERT_HOSTNAME, &list);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    json_array_foreach(old_ids, j, item) {
        old = json_string_value(item);
        if (strcmp(old, new_id) == 0) {
            continue;
        }
        in_use = 0;
        json_array_foreach(list, k, h) {
            json_t *hn;

            if (strcmp(tool_json_show(h, "id"), old) != 0) {
                continue;
            }
            json_array_foreach(json_object_get(h, "hostnames"), m, hn) {
                tool_warn(ctx, "kept hostname certificate %s: %s still uses it", old,
                          tool_json_show(hn, "hostname"));
                in_use = 1;
            }
        }
        if (in_use) {
            json_array_append(kept, item);
            continue;
        }
        rc = tool_delete_cert(ctx, TOOL_CERT_HOSTNAME, old, 0);
        if (rc != TOOL_EXIT_OK) {
            tool_error("the hosts now use %s, but deleting the old certificate %s failed "
                       "(another hostname may use it; see cfaop hostname delete-cert)",
                       new_id, old);
            json_array_append(kept, item);
            goto cleanup;
        }
        json_array_append(deleted, item);
    }
    tool_print(ctx, "%s\n", new_id);
    if (!ctx->dry_run) {
        tool_info(ctx, "rotated %d hostname(s) to certificate %s; %zu old certificate(s) deleted",
                  argc, new_id, json_array_size(deleted));
    }

cleanup:
    if (cert) {
        json_t *hosts = json_array();

        for (i = 0; hosts && i < argc; i++) {
            json_array_append_new(hosts, json_string(argv[i]));
        }
        tool_out_result(ctx, json_pack("{s:s, s:O, s:b, s:o, s:O, s:O}", "id",
                                       tool_json_show(cert, "id"), "certificate", cert, "reused",
                                       reused, "hostnames", hosts, "deleted", deleted, "kept",
                                       kept));
    }
    json_decref(old_ids);
    json_decref(cert);
    json_decref(assoc);
    json_decref(list);
    json_decref(result);
    json_decref(deleted);
    json_decref(kept);
    if (have_lc) {
        tool_local_free(&lc);
    }
    return rc;
}
