/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* check-origin: the edge's state judged with the origins' policies. */
#include <stdio.h>
#include <string.h>

#include "tool_cmds.h"
#include "tool_edge.h"
#include "tool_out.h"
#include "tool_verdict.h"

const tool_option tool_guard_options[] = {
    TOOL_OPTION_FORCE,
    TOOL_OPTION_ORIGIN_POLICY,
    TOOL_OPTION_END,
};

const tool_option tool_check_origin_options[] = {
    {"policy", 0, TOOL_ARG_LIST, offsetof(tool_cmd_opts, policies), 0},
    TOOL_OPTION_END,
};

int tool_check_check_origin(tool_ctx *ctx)
{
    if (ctx->opt.policies.n == 0) {
        tool_error("check-origin needs --policy SOURCE (a file, -, or the "
                   "https:// URL of a cfaop-status handler)");
        return tool_exit_code(TOOL_FAILED_USAGE);
    }
    return TOOL_EXIT_OK;
}

int tool_cmd_check_origin(tool_ctx *ctx)
{
    tool_verdict v;
    tool_edge edge;
    json_t *rows = NULL;
    int refused = 0, blocking, rc;
    tool_buf names = TOOL_BUF_INIT;

    memset(&edge, 0, sizeof(edge));
    rc = tool_verdict_prepare(ctx, &ctx->opt.policies, &v);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_edge_load(ctx, v.hosts, v.nhosts, &edge);
    }
    if (rc == TOOL_EXIT_OK
        && !(rows = tool_verdict_rows(ctx, &v, NULL, &edge, &refused,
                                      &blocking))) {
        tool_error("out of memory");
        rc = tool_exit_code(TOOL_FAILED_MEMORY);
    }
    if (rc == TOOL_EXIT_OK) {
        if (v.nserved == 0) {
            tool_warn(ctx, "no origin serves a hostname of zone %s", v.zone);
        }
        tool_verdict_print(ctx, rows, 0);
        tool_out_result(
            ctx, json_pack("{s:s, s:s, s:s, s:b, s:b, s:O, s:O, s:i}",
                           "zone_id", ctx->zone_id, "zone", v.zone, "ssl_mode",
                           edge.ssl_mode, "global_aop", edge.global_on,
                           "zone_aop", edge.zone_on, "hostnames", rows,
                           "skipped", v.skipped, "refused", refused));
    }
    if (rc == TOOL_EXIT_OK && refused) {
        tool_error("%d protected hostname(s) would be refused: %s", refused,
                   tool_verdict_refused(rows, 0, &names));
        rc = tool_exit_code(TOOL_FAILED_STATE);
    }
    tool_buf_free(&names);
    json_decref(rows);
    tool_edge_free(&edge);
    tool_verdict_free(&v);
    return rc;
}
