/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Zone settings: ssl-mode, global (tls_client_auth), verify-token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_api.h"
#include "tool_cmds.h"
#include "tool_edge.h"
#include "tool_out.h"
#include "tool_settings.h"
#include "tool_util.h"
#include "tool_zone.h"

/* The code of /user/tokens/verify for a token it does not know, which is
 * also its answer to an account-owned token. */
#define TOOL_API_INVALID_TOKEN 1000

int tool_check_ssl_mode(tool_ctx *ctx)
{
    if (ctx->argc == 0 || tool_ssl_mode_known(ctx->argv[0])) {
        return TOOL_EXIT_OK;
    }
    tool_error(
        "unknown SSL/TLS mode '%s' (off, flexible, full, strict, origin_pull)",
        ctx->argv[0]);
    return tool_exit_code(TOOL_FAILED_USAGE);
}

int tool_check_on_off(tool_ctx *ctx)
{
    if (ctx->argc == 0 || strcmp(ctx->argv[0], "on") == 0
        || strcmp(ctx->argv[0], "off") == 0) {
        return TOOL_EXIT_OK;
    }
    tool_error("expected 'on' or 'off', not '%s'", ctx->argv[0]);
    return tool_exit_code(TOOL_FAILED_USAGE);
}

/*
 * Shows or sets a zone setting whose value is a string. A PATCH is sent
 * only when the value changes, so a repeated command changes nothing.
 */
static int tool_setting_show_or_set(tool_ctx *ctx, const char *name,
                                    const char *label, const char *json_key)
{
    const char *want = ctx->argc > 0 ? ctx->argv[0] : NULL;
    char cur[64], *now = NULL;
    int rc;

    rc = tool_setting_get(ctx, name, cur, sizeof(cur));
    if (rc == TOOL_EXIT_OK && want && strcmp(want, cur) != 0) {
        rc = tool_setting_set(ctx, name, want, &now);
        if (rc == TOOL_EXIT_OK && !ctx->cfg.dry_run) {
            tool_info(ctx, "%s changed from %s to %s", label, cur,
                      now ? now : want);
        }
    }
    else if (rc == TOOL_EXIT_OK && want) {
        tool_info(ctx, "%s is already %s", label, cur);
    }
    if (rc == TOOL_EXIT_OK) {
        tool_print(ctx, "%s\n", now ? now : cur);
        tool_out_result(ctx,
                        json_pack("{s:s, s:s, s:b}", "zone_id", ctx->zone_id,
                                  json_key, now ? now : cur, "changed",
                                  want && strcmp(want, cur) != 0));
        if (strcmp(name, "ssl") == 0) {
            tool_ssl_mode_warn(ctx, now ? now : cur);
        }
    }
    free(now);
    return rc;
}

int tool_cmd_ssl_mode(tool_ctx *ctx)
{
    return tool_setting_show_or_set(ctx, "ssl", "SSL/TLS mode", "ssl_mode");
}

int tool_change_global(tool_ctx *ctx, tool_edge *after, int *changed)
{
    *changed = ctx->argc > 0;
    if (*changed) {
        after->global_on = strcmp(ctx->argv[0], "on") == 0;
    }
    return TOOL_EXIT_OK;
}

int tool_cmd_global(tool_ctx *ctx)
{
    int rc;

    if (ctx->argc > 0 && strcmp(ctx->argv[0], "on") == 0) {
        rc = tool_ssl_mode_check(ctx);
        if (rc != TOOL_EXIT_OK) {
            return rc;
        }
        /* Why a custom certificate is better, said where the choice is made. */
        tool_info(
            ctx,
            "note: the Cloudflare certificate is shared by all Cloudflare "
            "customers; it proves a request came through Cloudflare, not "
            "through your zone (use zone or hostname certificates for that)");
    }
    return tool_setting_show_or_set(
        ctx, "tls_client_auth", "global AOP (tls_client_auth)", "global_aop");
}

/* verify-token with a token: the user endpoint, or the account one for an
 * account-owned token (which the user endpoint rejects with 1000). */
static int tool_verify_token(tool_ctx *ctx, json_t **token)
{
    const char *account = getenv("CLOUDFLARE_ACCOUNT_ID");
    int rc;

    if (!account || !*account) {
        rc = tool_api_call(ctx, TOOL_GET, "/user/tokens/verify", NULL,
                           TOOL_API_NOREPORT | TOOL_WANT_OBJECT, token);
        if (rc == TOOL_EXIT_OK) {
            return rc;
        }
        if (tool_api_last_error(ctx)->code != TOOL_API_INVALID_TOKEN
            || !ctx->cfg.zone_arg) {
            return tool_api_report(ctx);
        }
        /* Maybe an account-owned token: ask at the zone's account. */
        rc = tool_zone_account(ctx, &account);
        if (rc != TOOL_EXIT_OK) {
            return rc;
        }
        if (!account) {
            tool_error("the token is not a valid user token, and the zone's "
                       "account is unknown");
            return tool_exit_code(TOOL_FAILED_CREDENTIALS);
        }
        tool_info(ctx,
                  "not a user token; verifying it as a token of account %s",
                  account);
    }
    if (!tool_is_cert_id(account)) {
        tool_error("'%s' is not an account id", account);
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    return tool_api_callf(ctx, TOOL_GET, NULL, TOOL_WANT_OBJECT, token,
                          "/accounts/%s/tokens/verify", account);
}

/* Prints the token's state; TOOL_EXIT_AUTH unless it is active. */
static int tool_verify_token_show(tool_ctx *ctx, json_t *out)
{
    json_t *token = NULL;
    const char *status;
    int rc = tool_verify_token(ctx, &token);

    if (rc != TOOL_EXIT_OK) {
        return rc;
    }
    status = tool_json_show(token, "status");
    json_object_set(out, "token", token ? token : json_null());
    tool_print(ctx, "token %s: %s", tool_json_show(token, "id"), status);
    if (tool_json_str(token, "expires_on")) {
        tool_print(ctx, " (expires %s)", tool_json_str(token, "expires_on"));
    }
    tool_print(ctx, "\n");
    if (strcmp(status, "active") != 0) {
        tool_error("the token is %s", status);
        rc = tool_exit_code(TOOL_FAILED_CREDENTIALS);
    }
    json_decref(token);
    return rc;
}

int tool_cmd_verify_token(tool_ctx *ctx)
{
    json_t *out = json_object();
    char mode[64];
    int rc = TOOL_EXIT_OK;

    if (!out) {
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    if (!tool_api_uses_key(ctx)) {
        rc = tool_verify_token_show(ctx, out);
    }
    else if (!ctx->cfg.zone_arg) {
        /* Token verification is for tokens; a key is checked on a zone. */
        tool_error(
            "a global API key cannot be verified without a zone: add -z ZONE");
        rc = tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (rc == TOOL_EXIT_OK && ctx->cfg.zone_arg) {
        /* A valid token may still lack access to the zone: read from it. */
        rc = tool_zone_resolve(ctx);
        if (rc == TOOL_EXIT_OK) {
            rc = tool_setting_get(ctx, "ssl", mode, sizeof(mode));
        }
        if (rc == TOOL_EXIT_OK) {
            json_object_set_new(out, "zone_id", json_string(ctx->zone_id));
            json_object_set_new(out, "zone_read", json_true());
            tool_print(ctx, "zone %s: readable\n",
                       ctx->zone_name ? ctx->zone_name : ctx->zone_id);
        }
    }
    tool_out_result(ctx, out);
    return rc;
}
