/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Zone-level AOP: enablement and zone certificates (upload, list, show,
 * delete, rotate). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tool_api.h"
#include "tool_certs.h"
#include "tool_cmds.h"
#include "tool_out.h"
#include "tool_state.h"

int tool_cmd_zone_enable(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    int want = strcmp(cmd->sub, "on") == 0, cur = 0, rc;
    json_t *certs = NULL, *body = NULL;
    char mode[64], path[256];

    (void)argc;
    (void)argv;
    rc = tool_zone_resolve(ctx);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    if (want) {
        /* Enabling is when these mistakes bite: say so before, not after. */
        rc = tool_ssl_mode_check(ctx, mode, sizeof(mode));
        if (rc == TOOL_EXIT_OK) {
            rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &certs);
        }
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
        }
        if (tool_certs_warn(ctx, TOOL_CERT_ZONE, certs) == 0) {
            tool_warn(ctx, "zone-level AOP enabled without an active zone certificate "
                      "(upload one: cfaop zone upload --cert F --key F)");
        }
    }
    rc = tool_zone_aop_get(ctx, &cur);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    if (cur == want) {
        tool_info(ctx, "zone-level AOP is already %s", want ? "on" : "off");
    } else {
        body = json_pack("{s:b}", "enabled", want);
        if (!body || tool_api_pathf(path, sizeof(path), "/zones/%s/origin_tls_client_auth/settings",
                                    ctx->zone_id) != 0) {
            rc = TOOL_EXIT_FAIL;
            goto cleanup;
        }
        rc = tool_api_call(ctx, TOOL_PUT, path, body, 0, NULL);
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
        }
    }
    tool_print(ctx, "%s\n", want ? "on" : "off");
    tool_out_result(ctx, json_pack("{s:s, s:b, s:b}", "zone_id", ctx->zone_id, "zone_aop", want,
                                   "changed", cur != want));

cleanup:
    json_decref(certs);
    json_decref(body);
    return rc;
}

/* Shared by zone upload and hostname upload. */
int tool_upload(tool_ctx *ctx, tool_cert_kind kind)
{
    tool_local_cert lc;
    json_t *cert = NULL;
    int reused = 0, rc;

    /* Local checks come first: a bad certificate costs no request. */
    rc = tool_local_load(ctx, kind, &lc);
    if (rc != TOOL_EXIT_OK) {
        return rc;
    }
    rc = tool_zone_resolve(ctx);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_upload(ctx, kind, &lc, NULL, &cert, &reused);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_print(ctx, "%s\n", tool_json_show(cert, "id"));
        tool_out_result(ctx, json_pack("{s:s, s:O, s:b}", "id", tool_json_show(cert, "id"),
                                       "certificate", cert, "reused", reused));
    }
    json_decref(cert);
    tool_local_free(&lc);
    return rc;
}

int tool_cmd_zone_upload(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    (void)argc;
    (void)argv;
    return tool_upload(ctx, TOOL_CERT_ZONE);
}

/* Shared by zone list and hostname certs. */
int tool_list(tool_ctx *ctx, tool_cert_kind kind)
{
    json_t *list = NULL;
    int rc = tool_zone_resolve(ctx);

    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_list(ctx, kind, &list);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_certs_print_table(ctx, list, "");
        tool_certs_warn(ctx, kind, list);
        tool_out_result(ctx, json_pack("{s:s, s:O}", "zone_id", ctx->zone_id, "certificates",
                                       list));
    }
    json_decref(list);
    return rc;
}

int tool_cmd_zone_list(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    (void)argc;
    (void)argv;
    return tool_list(ctx, TOOL_CERT_ZONE);
}

/* Shared by zone show and hostname cert. */
int tool_show(tool_ctx *ctx, tool_cert_kind kind, const char *id)
{
    json_t *cert = NULL;
    int rc;

    rc = tool_zone_resolve(ctx);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_get(ctx, kind, id, 0, &cert);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_certs_print_one(ctx, cert);
        tool_out_result(ctx, json_pack("{s:O}", "certificate", cert));
    }
    json_decref(cert);
    return rc;
}

int tool_cmd_zone_show(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    (void)argc;
    return tool_show(ctx, TOOL_CERT_ZONE, argv[0]);
}

/* DELETE of one certificate; prints what happened. */
int tool_delete_cert(tool_ctx *ctx, tool_cert_kind kind, const char *id, unsigned flags)
{
    char path[512];
    json_t *res = NULL;
    int rc;

    if (tool_certs_path(ctx, kind, id, path, sizeof(path)) != 0) {
        return TOOL_EXIT_FAIL;
    }
    rc = tool_api_call(ctx, TOOL_DELETE, path, NULL, flags, &res);
    if (rc == TOOL_EXIT_OK && !ctx->dry_run) {
        tool_info(ctx, "deleted %s %s (%s)", tool_certs_noun(kind), id,
                  res ? tool_json_show(res, "status") : "gone");
    }
    json_decref(res);
    return rc;
}

int tool_delete_cert_command(tool_ctx *ctx, tool_cert_kind kind, const char *id)
{
    int rc = tool_delete_cert(ctx, kind, id, 0);

    if (rc == TOOL_EXIT_OK) {
        tool_print(ctx, "%s\n", id);
        tool_out_result(ctx, json_pack("{s:[s]}", "deleted", id));
    }
    return rc;
}

int tool_cmd_zone_delete(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    const char *id = argv[0];
    json_t *certs = NULL, *item;
    int enabled = 0, others = 0, target_active = 0, rc;
    size_t i;

    (void)cmd;
    (void)argc;
    rc = tool_zone_resolve(ctx);
    if (rc != TOOL_EXIT_OK || ctx->force) {
        goto delete;
    }
    rc = tool_zone_aop_get(ctx, &enabled);
    if (rc != TOOL_EXIT_OK || !enabled) {
        goto delete;
    }
    rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &certs);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    json_array_foreach(certs, i, item) {
        int active = strcmp(tool_json_show(item, "status"), "active") == 0;

        if (strcasecmp(tool_json_show(item, "id"), id) == 0) {
            target_active = active;
        } else {
            others += active;
        }
    }
    if (target_active && others == 0) {
        /* Without it, an enabled zone has nothing to present and an origin
         * that requires a certificate refuses Cloudflare. */
        tool_error("refusing to delete %s: it is the last active zone certificate and "
                   "zone-level AOP is on (rotate with cfaop zone rotate, turn it off with "
                   "cfaop zone off, or use --force)", id);
        rc = TOOL_EXIT_FAIL;
        goto cleanup;
    }

delete:
    if (rc == TOOL_EXIT_OK) {
        rc = tool_delete_cert_command(ctx, TOOL_CERT_ZONE, id);
    }

cleanup:
    json_decref(certs);
    return rc;
}

int tool_cmd_zone_rotate(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    tool_local_cert lc;
    json_t *before = NULL, *cert = NULL, *deleted = json_array(), *item;
    const char *new_id, *id, *st;
    double deadline;
    int reused = 0, lock = -1, rc;
    size_t i;

    (void)cmd;
    (void)argc;
    (void)argv;
    /* On failure lc is left zeroed, safe to free at cleanup. */
    rc = tool_local_load(ctx, TOOL_CERT_ZONE, &lc);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_resolve(ctx);
    }
    if (rc == TOOL_EXIT_OK && !ctx->dry_run) {
        rc = tool_state_lock_zone(ctx, &lock);
    }
    if (rc == TOOL_EXIT_OK) {
        /* The certificates before the upload are the ones to retire. */
        rc = tool_certs_list(ctx, TOOL_CERT_ZONE, &before);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_certs_upload(ctx, TOOL_CERT_ZONE, &lc, before, &cert, &reused);
    }
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    new_id = tool_json_show(cert, "id");
    /* Until the new certificate is active Cloudflare still presents the
     * old one: any failure here leaves the old one untouched. */
    deadline = tool_now() + ctx->wait;
    rc = tool_certs_wait_active(ctx, TOOL_CERT_ZONE, new_id, deadline);
    if (rc != TOOL_EXIT_OK) {
        tool_error("rotation stopped; the previous zone certificate is unchanged%s",
                   rc == TOOL_EXIT_TIMEOUT ? " (run the same command again to resume)" : "");
        goto cleanup;
    }
    if (!ctx->dry_run) {
        json_object_set_new(cert, "status", json_string("active"));
    }
    json_array_foreach(before, i, item) {
        id = tool_json_show(item, "id");
        st = tool_json_show(item, "status");
        if (strcasecmp(id, new_id) == 0 || strcmp(st, "pending_deletion") == 0
            || strcmp(st, "deleted") == 0) {
            continue;
        }
        if (strcmp(st, "pending_deployment") == 0 || strcmp(st, "initializing") == 0) {
            /* An older upload still deploying would become "the most
             * recently deployed" and win over the new one: let it settle,
             * then delete it like the others. */
            rc = tool_certs_wait_settled(ctx, TOOL_CERT_ZONE, id, deadline);
            if (rc != TOOL_EXIT_OK) {
                tool_error("the new certificate %s is active, but the older %s is still "
                           "deploying; run the same command again to finish", new_id, id);
                goto cleanup;
            }
        }
        rc = tool_delete_cert(ctx, TOOL_CERT_ZONE, id, TOOL_API_NOREPORT);
        if (rc == TOOL_EXIT_NOTFOUND) {
            rc = TOOL_EXIT_OK; /* gone meanwhile: nothing left to do */
            continue;
        }
        if (rc != TOOL_EXIT_OK) {
            tool_api_report(ctx);
            tool_error("the new certificate %s is active, but deleting the old %s failed; "
                       "run the same command again to finish", new_id, id);
            goto cleanup;
        }
        json_array_append_new(deleted, json_string(id));
    }
    tool_print(ctx, "%s\n", new_id);
    if (!ctx->dry_run) {
        tool_info(ctx, "rotated: zone certificate %s is active; %zu old certificate(s) deleted",
                  new_id, json_array_size(deleted));
    }

cleanup:
    if (cert) {
        tool_out_result(ctx, json_pack("{s:s, s:O, s:b, s:O}", "id", tool_json_show(cert, "id"),
                                       "certificate", cert, "reused", reused, "deleted",
                                       deleted));
    }
    tool_state_unlock(lock);
    json_decref(before);
    json_decref(cert);
    json_decref(deleted);
    tool_local_free(&lc);
    return rc;
}
