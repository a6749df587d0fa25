/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Zone settings: ssl-mode, global (tls_client_auth), verify-token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_api.h"
#include "tool_cmds.h"
#include "tool_out.h"

static const char *const tool_ssl_modes[] = {"off", "flexible", "full", "strict", "origin_pull",
                                             NULL};

int tool_ssl_mode_ok(const char *mode)
{
    return mode && (strcmp(mode, "full") == 0 || strcmp(mode, "strict") == 0
                    || strcmp(mode, "origin_pull") == 0);
}

void tool_ssl_mode_warn(tool_ctx *ctx, const char *mode)
{
    if (mode && !tool_ssl_mode_ok(mode)) {
        tool_warn(ctx, "SSL/TLS encryption mode is '%s': Authenticated Origin Pulls do not "
                  "apply (set it to full or strict: cfaop ssl-mode full)", mode);
    }
}

int tool_setting_get(tool_ctx *ctx, const char *name, char *value, size_t len)
{
    char path[256];
    json_t *res = NULL;
    const char *v;
    int rc;

    if (tool_api_pathf(path, sizeof(path), "/zones/%s/settings/%s", ctx->zone_id, name) != 0) {
        return TOOL_EXIT_FAIL;
    }
    rc = tool_api_call(ctx, TOOL_GET, path, NULL, TOOL_API_OBJECT, &res);
    if (rc == TOOL_EXIT_OK) {
        v = tool_json_str(res, "value");
        if (!v) {
            tool_error("the API returned no value for setting %s", name);
            rc = TOOL_EXIT_FAIL;
        } else {
            snprintf(value, len, "%s", v);
        }
    }
    json_decref(res);
    return rc;
}

int tool_zone_aop_get(tool_ctx *ctx, int *enabled)
{
    char path[256];
    json_t *res = NULL, *e;
    int rc;

    if (tool_api_pathf(path, sizeof(path), "/zones/%s/origin_tls_client_auth/settings",
                       ctx->zone_id) != 0) {
        return TOOL_EXIT_FAIL;
    }
    rc = tool_api_call(ctx, TOOL_GET, path, NULL, TOOL_API_OBJECT, &res);
    if (rc == TOOL_EXIT_OK) {
        e = json_object_get(res, "enabled");
        /* "It is false by default" (API docs): absent means off. */
        if (e && !json_is_boolean(e)) {
            tool_error("malformed response from the API to GET %s: \"enabled\" is not a "
                       "boolean", path);
            rc = TOOL_EXIT_FAIL;
        }
        *enabled = json_is_true(e);
    }
    json_decref(res);
    return rc;
}

int tool_ssl_mode_check(tool_ctx *ctx, char *mode, size_t len)
{
    int rc = tool_setting_get(ctx, "ssl", mode, len);

    if (rc == TOOL_EXIT_OK) {
        tool_ssl_mode_warn(ctx, mode);
    }
    return rc;
}

/*
 * Shows or sets a zone setting whose value is a string. A PATCH is sent
 * only when the value changes, so a repeated command changes nothing.
 */
static int tool_setting_show_or_set(tool_ctx *ctx, const char *name, const char *label,
                                    const char *want, const char *json_key)
{
    char path[256], cur[64];
    json_t *body = NULL, *res = NULL;
    const char *now;
    int rc;

    rc = tool_setting_get(ctx, name, cur, sizeof(cur));
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    now = cur;
    if (want && strcmp(want, cur) != 0) {
        body = json_pack("{s:s}", "value", want);
        if (tool_api_pathf(path, sizeof(path), "/zones/%s/settings/%s", ctx->zone_id, name) != 0
            || !body) {
            rc = TOOL_EXIT_FAIL;
            goto cleanup;
        }
        rc = tool_api_call(ctx, TOOL_PATCH, path, body, ctx->dry_run ? 0 : TOOL_API_OBJECT, &res);
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
        }
        now = ctx->dry_run ? want : tool_json_str(res, "value");
        if (!now) {
            now = want;
        }
        if (!ctx->dry_run) {
            tool_info(ctx, "%s changed from %s to %s", label, cur, now);
        }
    } else if (want) {
        tool_info(ctx, "%s is already %s", label, cur);
    }
    tool_print(ctx, "%s\n", now);
    tool_out_result(ctx, json_pack("{s:s, s:s, s:b}", "zone_id", ctx->zone_id, json_key, now,
                                   "changed", want && strcmp(want, cur) != 0));
    if (strcmp(name, "ssl") == 0) {
        tool_ssl_mode_warn(ctx, now);
    }

cleanup:
    json_decref(body);
    json_decref(res);
    return rc;
}

int tool_check_ssl_mode(tool_ctx *ctx, int argc, char **argv)
{
    int i;

    (void)ctx;
    if (argc == 0) {
        return TOOL_EXIT_OK;
    }
    for (i = 0; tool_ssl_modes[i] && strcmp(tool_ssl_modes[i], argv[0]) != 0; i++) {
    }
    if (!tool_ssl_modes[i]) {
        tool_error("unknown SSL/TLS mode '%s' (off, flexible, full, strict, origin_pull)",
                   argv[0]);
        return TOOL_EXIT_USAGE;
    }
    return TOOL_EXIT_OK;
}

int tool_cmd_ssl_mode(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    const char *want = argc > 0 ? argv[0] : NULL;
    int rc;

    (void)cmd;
    rc = tool_zone_resolve(ctx);
    if (rc != TOOL_EXIT_OK) {
        return rc;
    }
    return tool_setting_show_or_set(ctx, "ssl", "SSL/TLS mode", want, "ssl_mode");
}

int tool_check_on_off(tool_ctx *ctx, int argc, char **argv)
{
    (void)ctx;
    if (argc == 0 || strcmp(argv[0], "on") == 0 || strcmp(argv[0], "off") == 0) {
        return TOOL_EXIT_OK;
    }
    tool_error("expected 'on' or 'off', not '%s'", argv[0]);
    return TOOL_EXIT_USAGE;
}

int tool_cmd_global(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    char mode[64];
    const char *want = argc > 0 ? argv[0] : NULL;
    int rc;

    (void)cmd;
    rc = tool_zone_resolve(ctx);
    if (rc != TOOL_EXIT_OK) {
        return rc;
    }
    if (want && strcmp(want, "on") == 0) {
        rc = tool_ssl_mode_check(ctx, mode, sizeof(mode));
        if (rc != TOOL_EXIT_OK) {
            return rc;
        }
        /* Why a custom certificate is better, said where the choice is made. */
        tool_info(ctx, "note: the Cloudflare certificate is shared by all Cloudflare customers; "
                  "it proves a request came through Cloudflare, not through your zone "
                  "(use zone or hostname certificates for that)");
    }
    return tool_setting_show_or_set(ctx, "tls_client_auth", "global AOP (tls_client_auth)", want,
                                    "global_aop");
}

/* The account of the zone, from the lookup by name or GET /zones/ID. */
static int tool_zone_account(tool_ctx *ctx)
{
    json_t *zone = NULL;
    const char *account;
    char path[256];
    int rc = tool_zone_resolve(ctx);

    if (rc != TOOL_EXIT_OK || ctx->zone_account_id) {
        return rc;
    }
    if (tool_api_pathf(path, sizeof(path), "/zones/%s", ctx->zone_id) != 0) {
        return TOOL_EXIT_FAIL;
    }
    rc = tool_api_call(ctx, TOOL_GET, path, NULL, TOOL_API_OBJECT, &zone);
    account = tool_json_str(json_object_get(zone, "account"), "id");
    if (rc == TOOL_EXIT_OK && account) {
        ctx->zone_account_id = strdup(account);
    }
    json_decref(zone);
    return rc;
}

/* verify-token with a token: the user endpoint, or the account one for an
 * account-owned token (which the user endpoint rejects with 1000). */
static int tool_verify_token(tool_ctx *ctx, json_t **token)
{
    const char *account = getenv("CLOUDFLARE_ACCOUNT_ID");
    char path[256];
    int rc;

    if (!account || !*account) {
        rc = tool_api_call(ctx, TOOL_GET, "/user/tokens/verify", NULL,
                           TOOL_API_NOREPORT | TOOL_API_OBJECT, token);
        if (rc == TOOL_EXIT_OK) {
            return rc;
        }
        if (tool_api_last_error(ctx)->code != 1000 || !ctx->zone_arg) {
            return tool_api_report(ctx);
        }
        /* Maybe an account-owned token: ask at the zone's account. */
        rc = tool_zone_account(ctx);
        if (rc != TOOL_EXIT_OK) {
            return rc;
        }
        account = ctx->zone_account_id;
        if (!account) {
            tool_error("the token is not a valid user token, and the zone's account is unknown");
            return TOOL_EXIT_AUTH;
        }
        tool_info(ctx, "not a user token; verifying it as a token of account %s", account);
    }
    if (!tool_is_cert_id(account)) {
        tool_error("'%s' is not an account id", account);
        return TOOL_EXIT_USAGE;
    }
    if (tool_api_pathf(path, sizeof(path), "/accounts/%s/tokens/verify", account) != 0) {
        return TOOL_EXIT_FAIL;
    }
    return tool_api_call(ctx, TOOL_GET, path, NULL, TOOL_API_OBJECT, token);
}

int tool_cmd_verify_token(tool_ctx *ctx, const tool_cmd *cmd, int argc, char **argv)
{
    json_t *token = NULL, *out = json_object();
    const char *status = "-";
    char mode[64];
    int rc = TOOL_EXIT_OK;

    (void)cmd;
    (void)argc;
    (void)argv;
    if (!out) {
        return TOOL_EXIT_FAIL;
    }
    if (!tool_api_uses_key(ctx)) {
        rc = tool_verify_token(ctx, &token);
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
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
            rc = TOOL_EXIT_AUTH;
            goto cleanup;
        }
    } else if (!ctx->zone_arg) {
        /* Token verification is for tokens; a key is checked on a zone. */
        tool_error("a global API key cannot be verified without a zone: add -z ZONE");
        rc = TOOL_EXIT_USAGE;
        goto cleanup;
    }
    if (ctx->zone_arg) {
        /* A valid token may still lack access to the zone: read from it. */
        rc = tool_zone_resolve(ctx);
        if (rc == TOOL_EXIT_OK) {
            rc = tool_setting_get(ctx, "ssl", mode, sizeof(mode));
        }
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
        }
        json_object_set_new(out, "zone_id", json_string(ctx->zone_id));
        json_object_set_new(out, "zone_read", json_true());
        tool_print(ctx, "zone %s: readable\n", ctx->zone_name ? ctx->zone_name : ctx->zone_id);
    }

cleanup:
    tool_out_result(ctx, out);
    json_decref(token);
    return rc;
}
