/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "aop_hostname.h"
#include "tool_api.h"
#include "tool_out.h"

int tool_zone_check_arg(const char *s)
{
    char name[AOP_HOSTNAME_MAX];

    if (tool_is_zone_id(s) || aop_hostname_normalize(s, 0, name) == 0) {
        return TOOL_EXIT_OK;
    }
    tool_error("'%s' is neither a zone name nor a 32-hex zone id", s);
    return TOOL_EXIT_USAGE;
}

int tool_zone_resolve(tool_ctx *ctx)
{
    char name[AOP_HOSTNAME_MAX], path[512];
    json_t *zones = NULL, *zone;
    char *escaped = NULL;
    const char *id;
    size_t i;
    int rc = TOOL_EXIT_FAIL;

    if (ctx->zone_id[0]) {
        return TOOL_EXIT_OK;
    }
    if (!ctx->zone_arg || !*ctx->zone_arg) {
        tool_error("no zone given: use -z/--zone NAME|ID or set CFAOP_ZONE");
        return TOOL_EXIT_USAGE;
    }
    if (tool_is_zone_id(ctx->zone_arg)) {
        for (i = 0; i < TOOL_ZONE_ID_LEN; i++) {
            ctx->zone_id[i] = (char)tolower((unsigned char)ctx->zone_arg[i]);
        }
        ctx->zone_id[TOOL_ZONE_ID_LEN] = '\0';
        return TOOL_EXIT_OK;
    }
    /* Zone names are matched as Cloudflare stores them: lowercase, no
     * trailing dot. */
    if (aop_hostname_normalize(ctx->zone_arg, 0, name) != 0) {
        tool_error("'%s' is neither a zone name nor a 32-hex zone id", ctx->zone_arg);
        return TOOL_EXIT_USAGE;
    }
    escaped = curl_easy_escape(NULL, name, 0);
    /* The most the API gives per page: fewer pages to read. */
    if (!escaped || tool_api_pathf(path, sizeof(path), "/zones?name=%s&per_page=50", escaped) != 0) {
        goto cleanup;
    }
    /* A read-only lookup: made with --dry-run too. */
    rc = tool_api_get_list(ctx, path, 0, &zones);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    rc = TOOL_EXIT_FAIL;
    if (json_array_size(zones) == 0) {
        tool_error("zone '%s' not found (or the credentials cannot see it)", name);
        rc = TOOL_EXIT_NOTFOUND;
        goto cleanup;
    }
    if (json_array_size(zones) > 1) {
        tool_error("%zu zones are named '%s' (several accounts); give the zone id instead:",
                   json_array_size(zones), name);
        json_array_foreach(zones, i, zone) {
            fprintf(stderr, "  %s\n", tool_json_show(zone, "id"));
        }
        goto cleanup;
    }
    zone = json_array_get(zones, 0);
    id = tool_json_str(zone, "id"); /* NULL for an item that is not an object */
    if (!id || !tool_is_zone_id(id)) {
        tool_error("the API returned no usable id for zone '%s'", name);
        goto cleanup;
    }
    memcpy(ctx->zone_id, id, TOOL_ZONE_ID_LEN + 1);
    free(ctx->zone_name);
    ctx->zone_name = strdup(name);
    id = tool_json_str(json_object_get(zone, "account"), "id");
    if (id) {
        free(ctx->zone_account_id);
        ctx->zone_account_id = strdup(id);
    }
    rc = TOOL_EXIT_OK;

cleanup:
    curl_free(escaped);
    json_decref(zones);
    return rc;
}
