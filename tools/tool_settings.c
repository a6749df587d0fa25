/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_api.h"
#include "tool_out.h"
#include "tool_settings.h"

static const char *const tool_ssl_modes[] = {"off",    "flexible",    "full",
                                             "strict", "origin_pull", NULL};

int tool_ssl_mode_known(const char *mode)
{
    int i;

    for (i = 0; tool_ssl_modes[i]; i++) {
        if (strcmp(tool_ssl_modes[i], mode) == 0) {
            return 1;
        }
    }
    return 0;
}

int tool_ssl_mode_ok(const char *mode)
{
    return mode
           && (strcmp(mode, "full") == 0 || strcmp(mode, "strict") == 0
               || strcmp(mode, "origin_pull") == 0);
}

void tool_ssl_mode_warn(tool_ctx *ctx, const char *mode)
{
    if (mode && !tool_ssl_mode_ok(mode)) {
        tool_warn(
            ctx,
            "SSL/TLS encryption mode is '%s': Authenticated Origin Pulls do "
            "not apply (set it to full or strict: cfaop ssl-mode full)",
            mode);
    }
}

int tool_setting_get(tool_ctx *ctx, const char *name, char *value, size_t len)
{
    json_t *res = NULL;
    const char *v;
    int rc;

    rc = tool_api_callf(ctx, TOOL_GET, NULL, TOOL_WANT_OBJECT, &res,
                        "/zones/%s/settings/%s", ctx->zone_id, name);
    if (rc == TOOL_EXIT_OK) {
        v = tool_json_str(res, "value");
        if (!v) {
            tool_error("the API returned no value for setting %s", name);
            rc = tool_exit_code(TOOL_FAILED_MALFORMED);
        }
        else {
            snprintf(value, len, "%s", v);
        }
    }
    json_decref(res);
    return rc;
}

int tool_setting_set(tool_ctx *ctx, const char *name, const char *value,
                     char **now)
{
    json_t *body = json_pack("{s:s}", "value", value), *res = NULL;
    const char *v;
    int rc;

    *now = NULL;
    if (!body) {
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    rc = tool_api_callf(ctx, TOOL_PATCH, body, TOOL_WANT_OBJECT, &res,
                        "/zones/%s/settings/%s", ctx->zone_id, name);
    if (rc == TOOL_EXIT_OK) {
        v = ctx->cfg.dry_run ? NULL : tool_json_str(res, "value");
        *now = strdup(v ? v : value);
    }
    json_decref(body);
    json_decref(res);
    return rc;
}

int tool_zone_aop_get(tool_ctx *ctx, int *enabled)
{
    json_t *res = NULL, *e;
    int rc;

    rc = tool_api_callf(ctx, TOOL_GET, NULL, TOOL_WANT_OBJECT, &res,
                        "/zones/%s/origin_tls_client_auth/settings",
                        ctx->zone_id);
    if (rc == TOOL_EXIT_OK) {
        e = json_object_get(res, "enabled");
        /* "It is false by default" (API docs): absent means off. */
        if (e && !json_is_boolean(e)) {
            tool_error("malformed response from the API to GET "
                       "/zones/%s/origin_tls_client_auth/settings: \"enabled\" "
                       "is not a boolean",
                       ctx->zone_id);
            rc = tool_exit_code(TOOL_FAILED_MALFORMED);
        }
        *enabled = json_is_true(e);
    }
    json_decref(res);
    return rc;
}

int tool_zone_aop_set(tool_ctx *ctx, int enabled)
{
    json_t *body = json_pack("{s:b}", "enabled", enabled);
    int rc = tool_exit_code(TOOL_FAILED_MEMORY);

    if (body) {
        rc = tool_api_callf(ctx, TOOL_PUT, body, 0, NULL,
                            "/zones/%s/origin_tls_client_auth/settings",
                            ctx->zone_id);
    }
    json_decref(body);
    return rc;
}

int tool_ssl_mode_check(tool_ctx *ctx)
{
    char mode[64];
    int rc = tool_setting_get(ctx, "ssl", mode, sizeof(mode));

    if (rc == TOOL_EXIT_OK) {
        tool_ssl_mode_warn(ctx, mode);
    }
    return rc;
}
