/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Zone-level AOP: enablement, deletion of a zone certificate, rotation. */
#include <stdio.h>
#include <string.h>

#include "tool_api.h"
#include "tool_certs.h"
#include "tool_cmds.h"
#include "tool_edge.h"
#include "tool_out.h"
#include "tool_settings.h"
#include "tool_state.h"
#include "tool_util.h"

const tool_option tool_zone_delete_options[] = {
    TOOL_OPTION_FORCE,
    TOOL_OPTION_ORIGIN_POLICY,
    TOOL_OPTION_END,
};

const tool_option tool_zone_rotate_options[] = {
    TOOL_OPTION_CERT,  TOOL_OPTION_KEY,           TOOL_OPTION_WAIT,
    TOOL_OPTION_FORCE, TOOL_OPTION_ORIGIN_POLICY, TOOL_OPTION_END,
};

int tool_change_zone_enable(tool_ctx *ctx, tool_edge *after, int *changed)
{
    after->zone_on = strcmp(ctx->cmd->sub, "on") == 0;
    *changed = 1;
    return TOOL_EXIT_OK;
}

int tool_change_zone_delete(tool_ctx *ctx, tool_edge *after, int *changed)
{
    *changed = 1;
    return tool_edge_drop_cert(after, ctx->argv[0]) == 0
               ? TOOL_EXIT_OK
               : tool_exit_code(TOOL_FAILED_MEMORY);
}

/* After a rotation the new certificate is the only zone certificate. */
int tool_change_zone_rotate(tool_ctx *ctx, tool_edge *after, int *changed)
{
    json_t *view = tool_edge_local_view(ctx->cert, TOOL_DRY_RUN_ID);

    *changed = 1;
    json_array_clear(after->zone_certs);
    if (!view || json_array_append_new(after->zone_certs, view) != 0) {
        tool_error("out of memory");
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    return TOOL_EXIT_OK;
}

/* Enabling is when these mistakes bite: say so before, not after. */
static int tool_zone_enable_checks(tool_ctx *ctx)
{
    json_t *certs = NULL;
    int rc = tool_ssl_mode_check(ctx);

    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &certs);
    }
    if (rc == TOOL_EXIT_OK
        && tool_certs_warn(ctx, TOOL_CERT_ZONE, certs) == 0) {
        tool_warn(ctx,
                  "zone-level AOP enabled without an active zone certificate "
                  "(upload one: cfaop zone upload --cert F --key F)");
    }
    json_decref(certs);
    return rc;
}

int tool_cmd_zone_enable(tool_ctx *ctx)
{
    int want = strcmp(ctx->cmd->sub, "on") == 0, cur = 0, rc = TOOL_EXIT_OK;

    if (want) {
        rc = tool_zone_enable_checks(ctx);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_aop_get(ctx, &cur);
    }
    if (rc == TOOL_EXIT_OK && cur == want) {
        tool_info(ctx, "zone-level AOP is already %s", want ? "on" : "off");
    }
    else if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_aop_set(ctx, want);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_print(ctx, "%s\n", want ? "on" : "off");
        tool_out_result(ctx,
                        json_pack("{s:s, s:b, s:b}", "zone_id", ctx->zone_id,
                                  "zone_aop", want, "changed", cur != want));
    }
    return rc;
}

/* Refuses to delete the last active zone certificate while zone-level AOP
 * is on: an enabled zone would have nothing to present, and an origin that
 * requires a certificate would refuse Cloudflare. */
static int tool_zone_delete_guard(tool_ctx *ctx, const char *id)
{
    json_t *certs = NULL, *item;
    int enabled = 0, others = 0, target_active = 0, active, rc;
    size_t i;

    rc = tool_zone_aop_get(ctx, &enabled);
    if (rc != TOOL_EXIT_OK || !enabled) {
        return rc;
    }
    rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &certs);
    json_array_foreach (certs, i, item) {
        active = strcmp(tool_json_show(item, "status"), "active") == 0;
        if (tool_id_eq(tool_json_show(item, "id"), id)) {
            target_active = active;
        }
        else {
            others += active;
        }
    }
    if (rc == TOOL_EXIT_OK && target_active && others == 0) {
        tool_error(
            "refusing to delete %s: it is the last active zone certificate and "
            "zone-level AOP is on (rotate with cfaop zone rotate, turn it off "
            "with cfaop zone off, or use --force)",
            id);
        rc = tool_exit_code(TOOL_FAILED_STATE);
    }
    json_decref(certs);
    return rc;
}

int tool_cmd_zone_delete(tool_ctx *ctx)
{
    int rc = ctx->opt.force ? TOOL_EXIT_OK
                            : tool_zone_delete_guard(ctx, ctx->argv[0]);

    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_delete_reported(ctx, TOOL_CERT_ZONE, ctx->argv[0]);
    }
    return rc;
}

/*
 * Deletes one certificate that was there before the rotation. An older
 * upload still deploying would become "the most recently deployed" and
 * win over the new one: it is let settle first, then deleted like the
 * others. 1 in *deleted when a DELETE was made.
 */
static int tool_zone_retire(tool_ctx *ctx, const char *new_id,
                            const json_t *item, double deadline, int *deleted)
{
    const char *id = tool_json_show(item, "id"),
               *st = tool_json_show(item, "status");
    int rc;

    *deleted = 0;
    if (tool_id_eq(id, new_id) || strcmp(st, "pending_deletion") == 0
        || strcmp(st, "deleted") == 0) {
        return TOOL_EXIT_OK;
    }
    if (strcmp(st, "pending_deployment") == 0
        || strcmp(st, "initializing") == 0) {
        rc = tool_certs_wait_settled(ctx, TOOL_CERT_ZONE, id, deadline);
        if (rc != TOOL_EXIT_OK) {
            tool_error("the new certificate %s is active, but the older %s is "
                       "still deploying; run the same command again to finish",
                       new_id, id);
            return rc;
        }
    }
    rc = tool_certs_delete(ctx, TOOL_CERT_ZONE, id, TOOL_API_NOREPORT);
    if (rc == TOOL_EXIT_NOTFOUND) {
        return TOOL_EXIT_OK; /* gone meanwhile: nothing left to do */
    }
    if (rc != TOOL_EXIT_OK) {
        tool_api_report(ctx);
        tool_error("the new certificate %s is active, but deleting the old %s "
                   "failed; run the same command again to finish",
                   new_id, id);
        return rc;
    }
    *deleted = 1;
    return TOOL_EXIT_OK;
}

int tool_cmd_zone_rotate(tool_ctx *ctx)
{
    json_t *before = NULL, *cert = NULL, *deleted = json_array(), *item;
    char about[TOOL_ABOUT_LEN];
    const char *new_id;
    double deadline;
    int reused = 0, lock = -1, gone, rc = TOOL_EXIT_OK;
    size_t i;

    if (!ctx->cfg.dry_run) {
        rc = tool_state_lock_zone(ctx, &lock);
    }
    if (rc == TOOL_EXIT_OK) {
        /* The certificates before the upload are the ones to retire. */
        rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &before);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_upload(ctx, TOOL_CERT_ZONE, ctx->cert, before, &cert,
                               &reused);
    }
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    new_id = tool_json_show(cert, "id");
    /* Until the new certificate is active Cloudflare still presents the
     * old one: any failure here leaves the old one untouched. */
    deadline = tool_now() + ctx->opt.wait;
    rc = tool_certs_wait_active(ctx, TOOL_CERT_ZONE, new_id, deadline);
    if (rc != TOOL_EXIT_OK) {
        tool_error(
            "rotation stopped; the previous zone certificate is unchanged%s",
            rc == TOOL_EXIT_TIMEOUT ? " (run the same command again to resume)"
                                    : "");
        goto cleanup;
    }
    if (!ctx->cfg.dry_run) {
        json_object_set_new(cert, "status", json_string("active"));
    }
    json_array_foreach (before, i, item) {
        rc = tool_zone_retire(ctx, new_id, item, deadline, &gone);
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
        }
        if (gone) {
            json_array_append_new(
                deleted, tool_certs_brief(item, tool_json_show(item, "id")));
        }
    }
    tool_print(ctx, "%s\n", new_id);
    if (!ctx->cfg.dry_run) {
        tool_info(ctx,
                  "rotated: zone certificate %s (%s) is active; %zu old "
                  "certificate(s) deleted",
                  new_id, tool_cert_about(cert, about, sizeof(about)),
                  json_array_size(deleted));
    }

cleanup:
    if (cert) {
        tool_out_result(ctx,
                        json_pack("{s:s, s:O, s:b, s:O}", "id",
                                  tool_json_show(cert, "id"), "certificate",
                                  cert, "reused", reused, "deleted", deleted));
    }
    tool_state_unlock(lock);
    json_decref(before);
    json_decref(cert);
    json_decref(deleted);
    return rc;
}
