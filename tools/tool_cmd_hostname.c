/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Per-hostname AOP: hostname certificates and hostname associations. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aop_hostname.h"
#include "tool_api.h"
#include "tool_certs.h"
#include "tool_cmds.h"
#include "tool_out.h"
#include "tool_state.h"

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

int tool_check_hosts(tool_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    return tool_hosts_normalize(argc, argv);
}

int tool_check_delete_cert(tool_ctx *ctx, int argc, char **argv)
{
    int rc = tool_check_cert_id(ctx, argc, argv);

    return rc == TOOL_EXIT_OK ? tool_hosts_normalize(argc - 1, argv + 1) : rc;
}

int tool_check_enable(tool_ctx *ctx, int argc, char **argv)
{
    if (!!ctx->cert_id == !!(ctx->cert_file || ctx->key_file)) {
        tool_error("hostname enable needs --cert-id ID, or --cert FILE --key FILE (not both)");
        return TOOL_EXIT_USAGE;
    }
    if (ctx->cert_id && !tool_is_cert_id(ctx->cert_id)) {
        tool_error("'%s' is not a certificate id", ctx->cert_id);
        return TOOL_EXIT_USAGE;
    }
    if (ctx->cert_id) {
        tool_cert_id_lower((char *)ctx->cert_id); /* points into argv */
    }
    return tool_hosts_normalize(argc, argv);
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
    rc = tool_api_call(ctx, TOOL_GET, path, NULL, TOOL_API_NOREPORT | TOOL_API_OBJECT, assoc);
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
 * json_true(), json_false() or json_null() (void), or `enabled` is an
 * array with one of these per host. `cert_ids` gives one id per host, or
 * `cert_id` one for all.
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
        json_t *en = json_is_array(enabled) ? json_array_get(enabled, (size_t)i) : enabled;

        json_array_append_new(config, json_pack("{s:s, s:s, s:O}", "hostname", argv[i],
                                                "cert_id", id ? id : "", "enabled",
                                                en ? en : json_true()));
    }
    body = json_pack("{s:O}", "config", config);
    if (!body || tool_api_pathf(path, sizeof(path), "/zones/%s/origin_tls_client_auth/hostnames",
                                ctx->zone_id) != 0) {
        goto cleanup;
    }
    rc = tool_api_call(ctx, TOOL_PUT, path, body, ctx->dry_run ? 0 : TOOL_API_ARRAY, result);

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

    rc = tool_zone_resolve(ctx);
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
    rc = tool_zone_resolve(ctx);
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
    rc = tool_zone_resolve(ctx);
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
        if (strcasecmp(tool_json_show(assoc, "cert_id"), id) == 0) {
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
        if (strcasecmp(tool_json_show(item, "id"), id) != 0) {
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
    if (strcasecmp(tool_json_show(assoc, "cert_id"), arg->cert_id) != 0) {
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

/* The journal of a hostname rotation: named by zone and new certificate,
 * so that the same command run again finds it. */
static void tool_rotate_journal_name(const tool_ctx *ctx, const tool_local_cert *lc, char *buf,
                                     size_t len)
{
    snprintf(buf, len, "hostname-rotate-%s-%.16s.json", ctx->zone_id, lc->sha256);
}

static void tool_ids_add(json_t *ids, const char *id)
{
    json_t *item;
    size_t i;

    json_array_foreach(ids, i, item) {
        if (strcasecmp(json_string_value(item), id) == 0) {
            return;
        }
    }
    json_array_append_new(ids, json_string(id));
}

/*
 * What the hosts use now: their certificates join `old_ids` (candidates
 * for deletion), and `enabled` gets each host's enabled value to keep (a
 * host disabled on purpose stays disabled unless --enable; a new host is
 * enabled).
 */
static int tool_rotate_survey(tool_ctx *ctx, int argc, char **argv, json_t *old_ids,
                              json_t *enabled)
{
    json_t *assoc = NULL;
    const char *old;
    int i, rc = TOOL_EXIT_OK;

    for (i = 0; rc == TOOL_EXIT_OK && i < argc; i++) {
        rc = tool_assoc_get(ctx, argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            json_array_append_new(enabled, json_true()); /* a new host */
            rc = TOOL_EXIT_OK;
            continue;
        }
        if (rc != TOOL_EXIT_OK) {
            break;
        }
        old = tool_json_str(assoc, "cert_id");
        if (old) {
            tool_ids_add(old_ids, old);
        }
        if (json_is_false(json_object_get(assoc, "enabled")) && !ctx->enable) {
            tool_info(ctx, "%s is disabled (enabled: false); it stays disabled on the new "
                      "certificate (use --enable to enable it)", argv[i]);
            json_array_append_new(enabled, json_false());
        } else {
            json_array_append_new(enabled, json_true());
        }
        json_decref(assoc);
        assoc = NULL;
    }
    return rc;
}

/* Deletes the old certificates no known association uses any more. */
static int tool_rotate_retire(tool_ctx *ctx, const char *new_id, const json_t *old_ids,
                              json_t *deleted, json_t *kept)
{
    json_t *list = NULL, *item, *h, *hn;
    const char *old;
    size_t j, k, m;
    int rc, in_use;

    rc = tool_certs_list(ctx, TOOL_CERT_HOSTNAME, &list);
    json_array_foreach(old_ids, j, item) {
        if (rc != TOOL_EXIT_OK) {
            break;
        }
        old = json_string_value(item);
        if (strcasecmp(old, new_id) == 0) {
            continue;
        }
        in_use = 0;
        json_array_foreach(list, k, h) {
            if (strcasecmp(tool_json_show(h, "id"), old) != 0) {
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
        rc = tool_delete_cert(ctx, TOOL_CERT_HOSTNAME, old, TOOL_API_NOREPORT);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK; /* deleted by an earlier, interrupted run */
        } else if (rc != TOOL_EXIT_OK) {
            tool_api_report(ctx);
            tool_error("the hosts now use %s, but deleting the old hostname certificate %s "
                       "failed; run the same command again to finish (or, when another "
                       "hostname uses it, see cfaop hostname delete-cert)", new_id, old);
            json_array_append(kept, item);
            break;
        }
        json_array_append(deleted, item);
    }
    json_decref(list);
    return rc;
}

/* Waits until every host is active on the new certificate. */
static int tool_rotate_wait_hosts(tool_ctx *ctx, int argc, char **argv, const char *new_id,
                                  const json_t *old_ids, double deadline)
{
    tool_assoc_probe_arg parg;
    char what[600];
    char *olds;
    int i, rc = TOOL_EXIT_OK;

    for (i = 0; rc == TOOL_EXIT_OK && i < argc; i++) {
        parg.host = argv[i];
        parg.cert_id = new_id;
        snprintf(what, sizeof(what), "%s is active on certificate %s", argv[i], new_id);
        rc = tool_wait_for(ctx, what, deadline, tool_assoc_probe, &parg);
    }
    if (rc != TOOL_EXIT_OK) {
        olds = json_dumps(old_ids, JSON_COMPACT);
        tool_error("rotation stopped after the hostnames were moved to %s; the old hostname "
                   "certificate(s) %s are still uploaded: run the same command again to "
                   "finish the rotation", new_id, olds ? olds : "(unknown)");
        free(olds);
    }
    return rc;
}

int tool_cmd_host_rotate(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    tool_local_cert lc;
    json_t *old_ids = json_array(), *enabled = json_array(), *cert = NULL, *result = NULL;
    json_t *deleted = json_array(), *kept = json_array(), *journal = NULL, *item;
    const char *new_id = NULL;
    char jname[128];
    double deadline;
    int reused = 0, have_lc = 0, lock = -1, i, rc;
    size_t j;

    (void)cmd;
    rc = tool_local_load(ctx, TOOL_CERT_HOSTNAME, &lc);
    have_lc = rc == TOOL_EXIT_OK;
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_resolve(ctx);
    }
    if (rc == TOOL_EXIT_OK && !ctx->dry_run) {
        rc = tool_state_lock_zone(ctx, &lock);
    }
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    /* An interrupted run of this rotation left the certificates it was to
     * retire: the hosts may already be on the new one, so only the journal
     * still knows them. */
    tool_rotate_journal_name(ctx, &lc, jname, sizeof(jname));
    journal = ctx->dry_run ? NULL : tool_state_journal_load(ctx, jname);
    json_array_foreach(json_object_get(journal, "old_ids"), j, item) {
        if (json_is_string(item)) {
            tool_ids_add(old_ids, json_string_value(item));
        }
    }
    if (journal) {
        tool_info(ctx, "resuming an interrupted rotation (old certificates to retire: %zu)",
                  json_array_size(old_ids));
    }
    rc = tool_rotate_survey(ctx, argc, argv, old_ids, enabled);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    if (!ctx->dry_run) {
        json_decref(journal);
        journal = json_pack("{s:s, s:s, s:O, s:[]}", "zone_id", ctx->zone_id, "sha256",
                            lc.sha256, "old_ids", old_ids, "hostnames");
        for (i = 0; journal && i < argc; i++) {
            json_array_append_new(json_object_get(journal, "hostnames"), json_string(argv[i]));
        }
        if (journal) {
            tool_state_journal_save(ctx, jname, journal);
        }
    }
    rc = tool_certs_upload(ctx, TOOL_CERT_HOSTNAME, &lc, NULL, &cert, &reused);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    new_id = tool_json_show(cert, "id");
    deadline = tool_now() + ctx->wait;
    /* Associating a certificate that never deploys would leave the hosts
     * without one: wait first, and change nothing if it fails. */
    rc = tool_certs_wait_active(ctx, TOOL_CERT_HOSTNAME, new_id, deadline);
    if (rc != TOOL_EXIT_OK) {
        tool_error("rotation stopped before any hostname was changed%s",
                   rc == TOOL_EXIT_TIMEOUT ? " (run the same command again to resume)" : "");
        goto cleanup;
    }
    rc = tool_assoc_put(ctx, argc, argv, new_id, NULL, enabled, &result);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_rotate_wait_hosts(ctx, argc, argv, new_id, old_ids, deadline);
    }
    if (rc == TOOL_EXIT_OK) {
        /* Only the named hosts are known to have left the old certificates;
         * the certificate list tells about others when it carries
         * associations, and the API refuses to delete one in use. */
        rc = tool_rotate_retire(ctx, new_id, old_ids, deleted, kept);
    }
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    if (!ctx->dry_run) {
        tool_state_journal_remove(ctx, jname);
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
    tool_state_unlock(lock);
    json_decref(journal);
    json_decref(old_ids);
    json_decref(enabled);
    json_decref(cert);
    json_decref(result);
    json_decref(deleted);
    json_decref(kept);
    if (have_lc) {
        tool_local_free(&lc);
    }
    return rc;
}
