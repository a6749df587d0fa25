/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Per-hostname AOP: hostname associations, deletion of a hostname
 * certificate, rotation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_api.h"
#include "tool_assoc.h"
#include "tool_certs.h"
#include "tool_cmds.h"
#include "tool_edge.h"
#include "tool_out.h"
#include "tool_settings.h"
#include "tool_state.h"
#include "tool_util.h"

const tool_option tool_host_delete_cert_options[] = {
    TOOL_OPTION_FORCE,
    TOOL_OPTION_ORIGIN_POLICY,
    TOOL_OPTION_END,
};

const tool_option tool_host_enable_options[] = {
    TOOL_OPTION_CERT,
    TOOL_OPTION_KEY,
    {"cert-id", 0, TOOL_ARG_STRING, offsetof(tool_cmd_opts, cert_id), 0},
    TOOL_OPTION_FORCE,
    TOOL_OPTION_ORIGIN_POLICY,
    TOOL_OPTION_END,
};

const tool_option tool_host_rotate_options[] = {
    TOOL_OPTION_CERT,
    TOOL_OPTION_KEY,
    TOOL_OPTION_WAIT,
    {"enable", 0, TOOL_ARG_FLAG, offsetof(tool_cmd_opts, enable), 0},
    TOOL_OPTION_FORCE,
    TOOL_OPTION_ORIGIN_POLICY,
    TOOL_OPTION_END,
};

/* The certificate a change associates: the local one (--cert), else the
 * uploaded one (--cert-id), whose PEM the API gives. *pem is malloc'ed. */
static int tool_change_cert_pem(tool_ctx *ctx, char **pem)
{
    json_t *cert = NULL;
    int rc = TOOL_EXIT_OK;

    if (ctx->cert) {
        cert = tool_edge_local_view(ctx->cert, TOOL_DRY_RUN_ID);
    }
    else {
        rc =
            tool_certs_get(ctx, TOOL_CERT_HOSTNAME, ctx->opt.cert_id, 0, &cert);
    }
    *pem = rc == TOOL_EXIT_OK && tool_json_str(cert, "certificate")
               ? strdup(tool_json_str(cert, "certificate"))
               : NULL;
    json_decref(cert);
    if (rc == TOOL_EXIT_OK && !*pem) {
        tool_error("no certificate to judge for the hostnames");
        rc = tool_exit_code(TOOL_FAILED_MALFORMED);
    }
    return rc;
}

int tool_change_host_enable(tool_ctx *ctx, tool_edge *after, int *changed)
{
    const char *id = ctx->opt.cert_id ? ctx->opt.cert_id : TOOL_DRY_RUN_ID;
    char *pem = NULL;
    int i, rc = tool_change_cert_pem(ctx, &pem);

    *changed = 1;
    for (i = 0; rc == TOOL_EXIT_OK && i < ctx->argc; i++) {
        if (tool_edge_set_assoc(after, ctx->argv[i], id, pem, 1) != 0) {
            rc = tool_exit_code(TOOL_FAILED_MEMORY);
        }
    }
    free(pem);
    return rc;
}

/* disable: enabled false; remove: the association is voided. */
int tool_change_host_disable(tool_ctx *ctx, tool_edge *after, int *changed)
{
    int void_it = strcmp(ctx->cmd->sub, "remove") == 0, i;

    *changed = 1;
    for (i = 0; i < ctx->argc; i++) {
        if (tool_edge_set_assoc(after, ctx->argv[i], NULL, NULL,
                                void_it ? -1 : 0)
            != 0) {
            return tool_exit_code(TOOL_FAILED_MEMORY);
        }
    }
    return TOOL_EXIT_OK;
}

/* A rotation moves every host to the new certificate; a host disabled on
 * purpose stays disabled (unless --enable). */
int tool_change_host_rotate(tool_ctx *ctx, tool_edge *after, int *changed)
{
    const json_t *cur;
    char *pem = NULL;
    int i, rc = tool_change_cert_pem(ctx, &pem);

    *changed = 1;
    for (i = 0; rc == TOOL_EXIT_OK && i < ctx->argc; i++) {
        cur = json_object_get(after->assocs, ctx->argv[i]);
        if (cur && json_is_false(json_object_get(cur, "enabled"))
            && !ctx->opt.enable) {
            continue;
        }
        if (tool_edge_set_assoc(after, ctx->argv[i], TOOL_DRY_RUN_ID, pem, 1)
            != 0) {
            rc = tool_exit_code(TOOL_FAILED_MEMORY);
        }
    }
    free(pem);
    return rc;
}

int tool_change_host_delete_cert(tool_ctx *ctx, tool_edge *after, int *changed)
{
    *changed = 1;
    return tool_edge_drop_cert(after, ctx->argv[0]) == 0
               ? TOOL_EXIT_OK
               : tool_exit_code(TOOL_FAILED_MEMORY);
}

int tool_check_hosts(tool_ctx *ctx)
{
    return tool_hosts_normalize(ctx->argc, ctx->argv);
}

int tool_check_delete_cert(tool_ctx *ctx)
{
    int rc = tool_certs_check_id(ctx->argv[0]);

    return rc == TOOL_EXIT_OK
               ? tool_hosts_normalize(ctx->argc - 1, ctx->argv + 1)
               : rc;
}

int tool_check_enable(tool_ctx *ctx)
{
    if (!!ctx->opt.cert_id == !!(ctx->opt.cert_file || ctx->opt.key_file)) {
        tool_error("hostname enable needs --cert-id ID, or --cert FILE --key "
                   "FILE (not both)");
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (ctx->opt.cert_id && !tool_is_cert_id(ctx->opt.cert_id)) {
        tool_error("'%s' is not a certificate id", ctx->opt.cert_id);
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (ctx->opt.cert_id) {
        tool_id_lower((char *)ctx->opt.cert_id); /* points into argv */
    }
    return tool_hosts_normalize(ctx->argc, ctx->argv);
}

int tool_cmd_host_enable(tool_ctx *ctx)
{
    json_t *cert = NULL, *result = NULL;
    const char *id = ctx->opt.cert_id;
    int reused = 0, rc;

    rc = tool_ssl_mode_check(ctx);
    if (rc == TOOL_EXIT_OK && ctx->cert) {
        rc = tool_certs_upload(ctx, TOOL_CERT_HOSTNAME, ctx->cert, NULL, &cert,
                               &reused);
        id = tool_json_show(cert, "id");
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_assoc_put(ctx, ctx->argc, ctx->argv, id, NULL, json_true(),
                            &result);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_assoc_report_put(ctx, ctx->argc, ctx->argv, id, cert, json_true(),
                              result);
    }
    json_decref(result);
    json_decref(cert);
    return rc;
}

/* The hosts of disable/remove that have an association, moved to the
 * front of argv, with their cert_ids (which the PUT must carry). */
static int tool_host_current(tool_ctx *ctx, int void_it, json_t *ids, int *n)
{
    json_t *assoc = NULL;
    int i, rc = TOOL_EXIT_OK;

    *n = 0;
    for (i = 0; rc == TOOL_EXIT_OK && i < ctx->argc; i++) {
        rc = tool_assoc_get(ctx, ctx->argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND && void_it) {
            /* Nothing to void: the wanted end state already holds. */
            tool_info(ctx, "%s has no association; nothing to remove",
                      ctx->argv[i]);
            rc = TOOL_EXIT_OK;
            continue;
        }
        if (rc == TOOL_EXIT_NOTFOUND) {
            tool_error("%s has no hostname association to disable",
                       ctx->argv[i]);
        }
        if (rc == TOOL_EXIT_OK) {
            ctx->argv[(*n)++] = ctx->argv[i];
            json_array_append_new(
                ids, json_string(tool_json_show(assoc, "cert_id")));
        }
        json_decref(assoc);
        assoc = NULL;
    }
    return rc;
}

/* disable (enabled:false) and remove (enabled:null): both need each host's
 * current cert_id, which only a lookup gives. */
int tool_cmd_host_disable(tool_ctx *ctx)
{
    int void_it = strcmp(ctx->cmd->sub, "remove") == 0, n = 0, k, rc;
    json_t *ids = json_array(), *result = NULL, *out, *item;
    json_t *enabled = void_it ? json_null() : json_false();

    rc = tool_host_current(ctx, void_it, ids, &n);
    if (rc == TOOL_EXIT_OK && n == 0) {
        tool_out_result(ctx, json_pack("{s:s, s:[]}", "zone_id", ctx->zone_id,
                                       "hostnames"));
    }
    else if (rc == TOOL_EXIT_OK) {
        rc = tool_assoc_put(ctx, n, ctx->argv, NULL, ids, enabled, &result);
    }
    if (rc == TOOL_EXIT_OK && n > 0) {
        tool_assoc_report_put(ctx, n, ctx->argv, NULL, NULL, enabled, result);
        /* Report with the cert_ids that were sent. */
        out = json_object_get(ctx->result, "hostnames");
        for (k = 0; k < n; k++) {
            item = json_array_get(out, (size_t)k);
            if (!tool_json_str(item, "cert_id")) {
                json_object_set(item, "cert_id",
                                json_array_get(ids, (size_t)k));
            }
        }
    }
    json_decref(ids);
    json_decref(result);
    return rc;
}

int tool_cmd_host_show(tool_ctx *ctx)
{
    json_t *out = json_array(), *assoc = NULL, *view;
    int i, rc = TOOL_EXIT_OK, worst = TOOL_EXIT_OK;

    for (i = 0; rc == TOOL_EXIT_OK && i < ctx->argc; i++) {
        rc = tool_assoc_get(ctx, ctx->argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            /* Show the others too; the exit code says one was missing. */
            worst = rc;
            rc = TOOL_EXIT_OK;
        }
        if (rc == TOOL_EXIT_OK) {
            view = tool_assoc_view(ctx->argv[i], assoc);
            tool_assoc_print(ctx, view);
            json_array_append_new(out, view);
        }
        json_decref(assoc);
        assoc = NULL;
    }
    if (rc == TOOL_EXIT_OK) {
        tool_out_result(ctx, json_pack("{s:s, s:O}", "zone_id", ctx->zone_id,
                                       "hostnames", out));
        rc = worst;
        if (rc == TOOL_EXIT_NOTFOUND) {
            tool_error("some hostnames have no association");
        }
    }
    json_decref(out);
    return rc;
}

/* Refuses while a known association uses the certificate: the named
 * hostnames, and those the certificate list reports (when the API's list
 * carries associations). */
static int tool_host_delete_guard(tool_ctx *ctx, const char *id)
{
    json_t *list = NULL, *assoc = NULL, *item, *h;
    const char *user = NULL;
    size_t i, j;
    int k, rc = TOOL_EXIT_OK;

    for (k = 1; rc == TOOL_EXIT_OK && !user && k < ctx->argc; k++) {
        rc = tool_assoc_get(ctx, ctx->argv[k], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK;
        }
        else if (rc == TOOL_EXIT_OK
                 && tool_id_eq(tool_json_show(assoc, "cert_id"), id)) {
            user = ctx->argv[k];
        }
        json_decref(assoc);
        assoc = NULL;
    }
    if (rc == TOOL_EXIT_OK && !user) {
        rc = tool_certs_list(ctx, TOOL_CERT_HOSTNAME, &list);
    }
    json_array_foreach (list, i, item) {
        json_array_foreach (json_object_get(item, "hostnames"), j, h) {
            if (!user && tool_id_eq(tool_json_show(item, "id"), id)) {
                user = tool_json_show(h, "hostname");
            }
        }
    }
    if (rc == TOOL_EXIT_OK && user) {
        tool_error("refusing to delete %s: %s still uses it (move it with "
                   "cfaop hostname rotate/enable, void it with cfaop hostname "
                   "remove, or use --force)",
                   id, user);
        rc = tool_exit_code(TOOL_FAILED_STATE);
    }
    json_decref(list);
    return rc;
}

int tool_cmd_host_delete_cert(tool_ctx *ctx)
{
    int rc = ctx->opt.force ? TOOL_EXIT_OK
                            : tool_host_delete_guard(ctx, ctx->argv[0]);

    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_delete_reported(ctx, TOOL_CERT_HOSTNAME, ctx->argv[0]);
    }
    return rc;
}

/* --- rotate ----------------------------------------------------------------
 */

/* The journal of a hostname rotation: named by zone and new certificate,
 * so that the same command run again finds it. */
static void tool_rotate_journal_name(const tool_ctx *ctx, char *buf, size_t len)
{
    snprintf(buf, len, "hostname-rotate-%s-%.16s.json", ctx->zone_id,
             ctx->cert->facts.sha256);
}

static void tool_ids_add(json_t *ids, const char *id)
{
    json_t *item;
    size_t i;

    json_array_foreach (ids, i, item) {
        if (tool_id_eq(json_string_value(item), id)) {
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
static int tool_rotate_survey(tool_ctx *ctx, json_t *old_ids, json_t *enabled)
{
    json_t *assoc = NULL;
    const char *old;
    int i, rc = TOOL_EXIT_OK, off;

    for (i = 0; rc == TOOL_EXIT_OK && i < ctx->argc; i++) {
        rc = tool_assoc_get(ctx, ctx->argv[i], &assoc);
        if (rc == TOOL_EXIT_NOTFOUND) {
            json_array_append_new(enabled, json_true()); /* a new host */
            rc = TOOL_EXIT_OK;
            continue;
        }
        old = tool_json_str(assoc, "cert_id");
        if (rc == TOOL_EXIT_OK && old) {
            tool_ids_add(old_ids, old);
        }
        off = json_is_false(json_object_get(assoc, "enabled"))
              && !ctx->opt.enable;
        if (rc == TOOL_EXIT_OK && off) {
            tool_info(ctx,
                      "%s is disabled (enabled: false); it stays disabled on "
                      "the new certificate (use --enable to enable it)",
                      ctx->argv[i]);
        }
        json_array_append_new(enabled, json_boolean(!off));
        json_decref(assoc);
        assoc = NULL;
    }
    return rc;
}

/* Writes down, before anything changes, what a rerun must still retire;
 * merges what an interrupted run wrote down. */
static void tool_rotate_journal(tool_ctx *ctx, const char *name,
                                json_t *old_ids, int load)
{
    json_t *journal, *item;
    size_t j;
    int i;

    if (ctx->cfg.dry_run) {
        return;
    }
    if (load) {
        journal = tool_state_journal_load(ctx, name);
        json_array_foreach (json_object_get(journal, "old_ids"), j, item) {
            if (json_is_string(item)) {
                tool_ids_add(old_ids, json_string_value(item));
            }
        }
        if (journal) {
            tool_info(ctx,
                      "resuming an interrupted rotation (old certificates to "
                      "retire: %zu)",
                      json_array_size(old_ids));
        }
        json_decref(journal);
        return;
    }
    journal =
        json_pack("{s:s, s:s, s:O, s:[]}", "zone_id", ctx->zone_id, "sha256",
                  ctx->cert->facts.sha256, "old_ids", old_ids, "hostnames");
    for (i = 0; journal && i < ctx->argc; i++) {
        json_array_append_new(json_object_get(journal, "hostnames"),
                              json_string(ctx->argv[i]));
    }
    if (journal) {
        tool_state_journal_save(ctx, name, journal);
    }
    json_decref(journal);
}

/* 1 when the certificate's entry in the list says a hostname still uses
 * it (warned). */
static int tool_rotate_in_use(tool_ctx *ctx, const json_t *cert, const char *id)
{
    json_t *h;
    size_t m;
    int in_use = 0;

    json_array_foreach (json_object_get(cert, "hostnames"), m, h) {
        tool_warn(ctx, "kept hostname certificate %s (CN=%s): %s still uses it",
                  id, tool_json_show(cert, "subject_cn"),
                  tool_json_show(h, "hostname"));
        in_use = 1;
    }
    return in_use;
}

/* Deletes the old certificates no known association uses any more. */
static int tool_rotate_retire(tool_ctx *ctx, const char *new_id,
                              const json_t *old_ids, json_t *deleted,
                              json_t *kept)
{
    json_t *list = NULL, *item, *brief;
    const json_t *cert;
    const char *old;
    size_t j;
    int rc;

    rc = tool_certs_list(ctx, TOOL_CERT_HOSTNAME, &list);
    json_array_foreach (old_ids, j, item) {
        old = json_string_value(item);
        if (rc != TOOL_EXIT_OK || tool_id_eq(old, new_id)) {
            continue;
        }
        cert = tool_certs_find(list, old);
        brief = tool_certs_brief(cert, old);
        if (tool_rotate_in_use(ctx, cert, old)) {
            json_array_append_new(kept, brief);
            continue;
        }
        rc = tool_certs_delete(ctx, TOOL_CERT_HOSTNAME, old, TOOL_API_NOREPORT);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK; /* deleted by an earlier, interrupted run */
        }
        else if (rc != TOOL_EXIT_OK) {
            tool_api_report(ctx);
            tool_error("the hosts now use %s, but deleting the old hostname "
                       "certificate %s failed; run the same command again to "
                       "finish (or, when another hostname uses it, see cfaop "
                       "hostname delete-cert)",
                       new_id, old);
            json_array_append_new(kept, brief);
            continue;
        }
        json_array_append_new(deleted, brief);
    }
    json_decref(list);
    return rc;
}

/* Waits until every host is active on the new certificate. */
static int tool_rotate_wait_hosts(tool_ctx *ctx, const char *new_id,
                                  const json_t *old_ids, double deadline)
{
    char *olds;
    int i, rc = TOOL_EXIT_OK;

    for (i = 0; rc == TOOL_EXIT_OK && i < ctx->argc; i++) {
        rc = tool_assoc_wait_active(ctx, ctx->argv[i], new_id, deadline);
    }
    if (rc != TOOL_EXIT_OK) {
        olds = json_dumps(old_ids, JSON_COMPACT);
        tool_error("rotation stopped after the hostnames were moved to %s; the "
                   "old hostname certificate(s) %s are still uploaded: run the "
                   "same command again to finish the rotation",
                   new_id, olds ? olds : "(unknown)");
        free(olds);
    }
    return rc;
}

/* Upload (or reuse) the new certificate and wait until it is active:
 * associating one that never deploys would leave the hosts without one. */
static int tool_rotate_new_cert(tool_ctx *ctx, json_t **cert, int *reused,
                                double deadline)
{
    int rc = tool_certs_upload(ctx, TOOL_CERT_HOSTNAME, ctx->cert, NULL, cert,
                               reused);

    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_wait_active(ctx, TOOL_CERT_HOSTNAME,
                                    tool_json_show(*cert, "id"), deadline);
        if (rc != TOOL_EXIT_OK) {
            tool_error("rotation stopped before any hostname was changed%s",
                       rc == TOOL_EXIT_TIMEOUT
                           ? " (run the same command again to resume)"
                           : "");
        }
    }
    return rc;
}

static void tool_rotate_result(tool_ctx *ctx, json_t *cert, int reused,
                               json_t *deleted, json_t *kept)
{
    json_t *hosts = json_array();
    int i;

    for (i = 0; hosts && i < ctx->argc; i++) {
        json_array_append_new(hosts, json_string(ctx->argv[i]));
    }
    tool_out_result(ctx, json_pack("{s:s, s:O, s:b, s:o, s:O, s:O}", "id",
                                   tool_json_show(cert, "id"), "certificate",
                                   cert, "reused", reused, "hostnames", hosts,
                                   "deleted", deleted, "kept", kept));
}

int tool_cmd_host_rotate(tool_ctx *ctx)
{
    json_t *old_ids = json_array(), *enabled = json_array(), *cert = NULL,
           *result = NULL;
    json_t *deleted = json_array(), *kept = json_array();
    const char *new_id;
    char journal[128], about[TOOL_ABOUT_LEN];
    double deadline = tool_now() + ctx->opt.wait;
    int reused = 0, lock = -1, rc = TOOL_EXIT_OK;

    if (!ctx->cfg.dry_run) {
        rc = tool_state_lock_zone(ctx, &lock);
    }
    /* An interrupted run of this rotation left the certificates it was to
     * retire: the hosts may already be on the new one, so only the journal
     * still knows them. */
    tool_rotate_journal_name(ctx, journal, sizeof(journal));
    if (rc == TOOL_EXIT_OK) {
        tool_rotate_journal(ctx, journal, old_ids, 1);
        rc = tool_rotate_survey(ctx, old_ids, enabled);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_rotate_journal(ctx, journal, old_ids, 0);
        rc = tool_rotate_new_cert(ctx, &cert, &reused, deadline);
    }
    new_id = tool_json_show(cert, "id");
    if (rc == TOOL_EXIT_OK) {
        rc = tool_assoc_put(ctx, ctx->argc, ctx->argv, new_id, NULL, enabled,
                            &result);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_rotate_wait_hosts(ctx, new_id, old_ids, deadline);
    }
    if (rc == TOOL_EXIT_OK) {
        /* Only the named hosts are known to have left the old certificates;
         * the certificate list tells about others when it carries
         * associations, and the API refuses to delete one in use. */
        rc = tool_rotate_retire(ctx, new_id, old_ids, deleted, kept);
    }
    if (rc == TOOL_EXIT_OK && !ctx->cfg.dry_run) {
        tool_state_journal_remove(ctx, journal);
        tool_info(ctx,
                  "rotated %d hostname(s) to certificate %s (%s); %zu old "
                  "certificate(s) deleted",
                  ctx->argc, new_id,
                  tool_cert_about(cert, about, sizeof(about)),
                  json_array_size(deleted));
    }
    if (rc == TOOL_EXIT_OK) {
        tool_print(ctx, "%s\n", new_id);
    }
    if (cert) {
        tool_rotate_result(ctx, cert, reused, deleted, kept);
    }
    tool_state_unlock(lock);
    json_decref(old_ids);
    json_decref(enabled);
    json_decref(cert);
    json_decref(result);
    json_decref(deleted);
    json_decref(kept);
    return rc;
}
