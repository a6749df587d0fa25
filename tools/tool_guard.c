/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdlib.h>
#include <string.h>

#include "tool_buf.h"
#include "tool_edge.h"
#include "tool_guard.h"
#include "tool_out.h"
#include "tool_verdict.h"

/* CFAOP_ORIGIN_POLICY holds sources separated by white space. */
static int tool_guard_env(tool_strlist *list, char **copy)
{
    const char *env = getenv("CFAOP_ORIGIN_POLICY");
    char *tok, *save = NULL;

    *copy = NULL;
    if (!env || !*env) {
        return 0;
    }
    if (!(*copy = strdup(env))) {
        return -1;
    }
    for (tok = strtok_r(*copy, " \t\n", &save); tok;
         tok = strtok_r(NULL, " \t\n", &save)) {
        if (tool_strlist_add(list, tok) != 0) {
            return -1;
        }
    }
    return 0;
}

static int tool_guard_judge(tool_ctx *ctx, const tool_verdict *v,
                            const tool_edge *before, const tool_edge *after)
{
    int refused, blocking, rc;
    tool_buf names = TOOL_BUF_INIT;
    const char *first;
    json_t *rows =
        tool_verdict_rows(ctx, v, before, after, &refused, &blocking);

    if (!rows) {
        tool_error("out of memory");
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    ctx->origin_check =
        json_pack("{s:s, s:O, s:i, s:b}", "state", "after", "hostnames", rows,
                  "refused", refused, "blocked", blocking && !ctx->opt.force);
    tool_info(ctx, "origin check of the state after this change:");
    tool_verdict_print(ctx, rows, 1);
    first = tool_verdict_refused(rows, 1, &names);
    json_decref(rows);
    if (!blocking) {
        tool_info(ctx, "origin check: no protected hostname is refused "
                       "because of this change");
        rc = TOOL_EXIT_OK;
    }
    else if (ctx->opt.force) {
        tool_warn(ctx,
                  "--force: going ahead although the origin would "
                  "refuse %s",
                  first);
        rc = TOOL_EXIT_OK;
    }
    else {
        tool_error("refusing to make this change%s: afterwards the origin "
                   "would refuse %s (fix the origin's policy first, or use "
                   "--force)",
                   ctx->cfg.dry_run ? " (dry run)" : "", first);
        rc = tool_exit_code(TOOL_FAILED_STATE);
    }
    tool_buf_free(&names);
    return rc;
}

int tool_guard_run(tool_ctx *ctx)
{
    tool_strlist env_sources = {NULL, 0};
    const tool_strlist *sources = &ctx->opt.origin_policies;
    tool_edge before, after;
    tool_verdict v;
    char *copy = NULL;
    int changed = 0, rc = TOOL_EXIT_OK;

    memset(&before, 0, sizeof(before));
    memset(&after, 0, sizeof(after));
    memset(&v, 0, sizeof(v));
    if (!ctx->cmd->change) {
        return TOOL_EXIT_OK;
    }
    if (!sources->n) {
        if (tool_guard_env(&env_sources, &copy) != 0) {
            tool_error("out of memory");
            rc = tool_exit_code(TOOL_FAILED_MEMORY);
        }
        sources = &env_sources;
    }
    if (rc == TOOL_EXIT_OK && sources->n) {
        rc = tool_verdict_prepare(ctx, sources, &v);
        if (rc == TOOL_EXIT_OK) {
            rc = tool_edge_load(ctx, v.hosts, v.nhosts, &before);
        }
        if (rc == TOOL_EXIT_OK && tool_edge_copy(&before, &after) != 0) {
            tool_error("out of memory");
            rc = tool_exit_code(TOOL_FAILED_MEMORY);
        }
        if (rc == TOOL_EXIT_OK) {
            rc = ctx->cmd->change(ctx, &after, &changed);
        }
        if (rc == TOOL_EXIT_OK && changed) {
            rc = tool_guard_judge(ctx, &v, &before, &after);
        }
    }
    tool_edge_free(&before);
    tool_edge_free(&after);
    tool_verdict_free(&v);
    tool_strlist_free(&env_sources);
    free(copy);
    return rc;
}
