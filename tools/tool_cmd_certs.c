/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/* Certificate commands of both families: zone upload/list/show and
 * hostname upload/certs/cert; the table row's kind tells which. */
#include <stdio.h>

#include "tool_certs.h"
#include "tool_cmds.h"
#include "tool_out.h"
#include "tool_util.h"

const tool_option tool_cert_upload_options[] = {
    TOOL_OPTION_CERT,
    TOOL_OPTION_KEY,
    TOOL_OPTION_END,
};

int tool_check_cert_id(tool_ctx *ctx)
{
    return tool_certs_check_id(ctx->argc > 0 ? ctx->argv[0] : NULL);
}

int tool_cmd_cert_upload(tool_ctx *ctx)
{
    tool_cert_kind kind = (tool_cert_kind)ctx->cmd->kind;
    json_t *cert = NULL;
    int reused = 0, rc;

    rc = tool_certs_upload(ctx, kind, ctx->cert, NULL, &cert, &reused);
    if (rc == TOOL_EXIT_OK) {
        tool_print(ctx, "%s\n", tool_json_show(cert, "id"));
        tool_out_result(ctx, json_pack("{s:s, s:O, s:b}", "id",
                                       tool_json_show(cert, "id"),
                                       "certificate", cert, "reused", reused));
    }
    json_decref(cert);
    return rc;
}

int tool_cmd_cert_list(tool_ctx *ctx)
{
    tool_cert_kind kind = (tool_cert_kind)ctx->cmd->kind;
    json_t *list = NULL;
    int rc;

    rc = tool_certs_list(ctx, kind, &list);
    if (rc == TOOL_EXIT_OK) {
        tool_certs_print_table(ctx, list, "");
        tool_certs_warn(ctx, kind, list);
        tool_out_result(ctx, json_pack("{s:s, s:O}", "zone_id", ctx->zone_id,
                                       "certificates", list));
    }
    json_decref(list);
    return rc;
}

int tool_cmd_cert_show(tool_ctx *ctx)
{
    json_t *cert = NULL;
    int rc;

    rc = tool_certs_get(ctx, (tool_cert_kind)ctx->cmd->kind, ctx->argv[0], 0,
                        &cert);
    if (rc == TOOL_EXIT_OK) {
        tool_certs_print_one(ctx, cert);
        tool_out_result(ctx, json_pack("{s:O}", "certificate", cert));
    }
    json_decref(cert);
    return rc;
}
