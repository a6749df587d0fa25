/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aop_hostname.h"
#include "tool_api.h"
#include "tool_out.h"
#include "tool_util.h"
#include "tool_zone.h"

int tool_zone_check_arg(const char *s)
{
    char name[AOP_HOSTNAME_MAX];

    if (tool_is_zone_id(s) || aop_hostname_normalize(s, 0, name) == 0) {
        return TOOL_EXIT_OK;
    }
    tool_error("'%s' is neither a zone name nor a 32-hex zone id", s);
    return tool_exit_code(TOOL_FAILED_USAGE);
}

/* Remembers the one zone the lookup by name found. */
static int tool_zone_take(tool_ctx *ctx, const char *name, const json_t *zone)
{
    const char *id = tool_json_str(zone, "id"), *account;

    if (!id || !tool_is_zone_id(id)) {
        tool_error("the API returned no usable id for zone '%s'", name);
        return tool_exit_code(TOOL_FAILED_MALFORMED);
    }
    memcpy(ctx->zone_id, id, TOOL_ZONE_ID_LEN + 1);
    tool_id_lower(ctx->zone_id);
    free(ctx->zone_name);
    ctx->zone_name = strdup(name);
    account = tool_json_str(json_object_get(zone, "account"), "id");
    if (account) {
        free(ctx->zone_account_id);
        ctx->zone_account_id = strdup(account);
    }
    return TOOL_EXIT_OK;
}

int tool_zone_resolve(tool_ctx *ctx)
{
    char name[AOP_HOSTNAME_MAX];
    json_t *zones = NULL, *zone;
    char *escaped = NULL;
    size_t i;
    int rc;

    if (ctx->zone_id[0]) {
        return TOOL_EXIT_OK;
    }
    if (!ctx->cfg.zone_arg || !*ctx->cfg.zone_arg) {
        tool_error("no zone given: use -z/--zone NAME|ID or set CFAOP_ZONE");
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (tool_is_zone_id(ctx->cfg.zone_arg)) {
        memcpy(ctx->zone_id, ctx->cfg.zone_arg, TOOL_ZONE_ID_LEN + 1);
        tool_id_lower(ctx->zone_id);
        return TOOL_EXIT_OK;
    }
    /* Zone names are matched as Cloudflare stores them: lowercase, no
     * trailing dot. */
    if (aop_hostname_normalize(ctx->cfg.zone_arg, 0, name) != 0) {
        return tool_zone_check_arg(ctx->cfg.zone_arg);
    }
    escaped = curl_easy_escape(NULL, name, 0);
    if (!escaped) {
        tool_error("out of memory");
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    /* A read-only lookup, made with --dry-run too; 50 a page is the most
     * the API gives, so fewer pages to read. */
    rc = tool_api_get_list(ctx, 0, &zones, "/zones?name=%s&per_page=50",
                           escaped);
    if (rc == TOOL_EXIT_OK && json_array_size(zones) == 0) {
        tool_error("zone '%s' not found (or the credentials cannot see it)",
                   name);
        rc = tool_exit_code(TOOL_FAILED_NOTFOUND);
    }
    else if (rc == TOOL_EXIT_OK && json_array_size(zones) > 1) {
        tool_error("%zu zones are named '%s' (several accounts); give the zone "
                   "id instead:",
                   json_array_size(zones), name);
        json_array_foreach (zones, i, zone) {
            fprintf(stderr, "  %s\n", tool_json_show(zone, "id"));
        }
        rc = tool_exit_code(TOOL_FAILED_STATE);
    }
    else if (rc == TOOL_EXIT_OK) {
        rc = tool_zone_take(ctx, name, json_array_get(zones, 0));
    }
    curl_free(escaped);
    json_decref(zones);
    return rc;
}

/* GET /zones/ID once, for what a lookup by id does not tell: the zone's
 * name and account. */
static int tool_zone_details(tool_ctx *ctx)
{
    json_t *zone = NULL;
    const char *id, *name;
    int rc = tool_zone_resolve(ctx);

    if (rc != TOOL_EXIT_OK || (ctx->zone_account_id && ctx->zone_name)) {
        return rc;
    }
    rc = tool_api_callf(ctx, TOOL_GET, NULL, TOOL_WANT_OBJECT, &zone,
                        "/zones/%s", ctx->zone_id);
    id = tool_json_str(json_object_get(zone, "account"), "id");
    name = tool_json_str(zone, "name");
    if (rc == TOOL_EXIT_OK && id && !ctx->zone_account_id) {
        ctx->zone_account_id = strdup(id);
    }
    if (rc == TOOL_EXIT_OK && name && !ctx->zone_name) {
        ctx->zone_name = strdup(name);
    }
    json_decref(zone);
    return rc;
}

int tool_zone_account(tool_ctx *ctx, const char **account)
{
    int rc = ctx->zone_account_id ? TOOL_EXIT_OK : tool_zone_details(ctx);

    *account = ctx->zone_account_id;
    return rc;
}

int tool_zone_name(tool_ctx *ctx, const char **name)
{
    int rc = ctx->zone_name ? TOOL_EXIT_OK : tool_zone_details(ctx);

    *name = ctx->zone_name;
    if (rc == TOOL_EXIT_OK && !*name) {
        tool_error("the API did not say the name of zone %s", ctx->zone_id);
        rc = tool_exit_code(TOOL_FAILED_MALFORMED);
    }
    return rc;
}
