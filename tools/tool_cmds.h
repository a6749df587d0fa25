/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * The commands: one handler per row of the command table (tool_operate.c),
 * and the checks of their arguments. Handlers are leaves: what they share
 * lives in the model files (tool_certs, tool_assoc, tool_settings,
 * tool_zone). Every handler finds its arguments in ctx->argc/argv, its
 * options in ctx->opt, the zone resolved and --cert/--key loaded when its
 * table row asks for them.
 */
#ifndef TOOL_CMDS_H
#define TOOL_CMDS_H

#include <stddef.h>

#include "tool.h"

/* Entries of the commands' own option tables (fields of tool_cmd_opts). */
#define TOOL_OPTION_CERT                                                  \
    {                                                                     \
        "cert", 0, TOOL_ARG_STRING, offsetof(tool_cmd_opts, cert_file), 0 \
    }
#define TOOL_OPTION_KEY                                                 \
    {                                                                   \
        "key", 0, TOOL_ARG_STRING, offsetof(tool_cmd_opts, key_file), 0 \
    }
#define TOOL_OPTION_WAIT                                              \
    {                                                                 \
        "wait", 0, TOOL_ARG_SECONDS, offsetof(tool_cmd_opts, wait), 0 \
    }
#define TOOL_OPTION_FORCE                                            \
    {                                                                \
        "force", 0, TOOL_ARG_FLAG, offsetof(tool_cmd_opts, force), 0 \
    }
#define TOOL_OPTION_ORIGIN_POLICY                       \
    {                                                   \
        "origin-policy", 0, TOOL_ARG_LIST,              \
            offsetof(tool_cmd_opts, origin_policies), 0 \
    }
#define TOOL_OPTION_END              \
    {                                \
        NULL, 0, TOOL_ARG_FLAG, 0, 0 \
    }

struct tool_edge;

/* Options of the commands that only the guard adds to (tool_guard.h). */
extern const tool_option tool_guard_options[];

/* tool_cmd_origin.c */
int tool_cmd_check_origin(tool_ctx *ctx);
int tool_check_check_origin(tool_ctx *ctx);
extern const tool_option tool_check_origin_options[];

/* tool_cmd_probe.c */
int tool_cmd_probe(tool_ctx *ctx);
int tool_check_probe(tool_ctx *ctx);
extern const tool_option tool_probe_options[];

/* tool_cmd_status.c */
int tool_cmd_status(tool_ctx *ctx);

/* tool_cmd_settings.c */
int tool_cmd_ssl_mode(tool_ctx *ctx);
int tool_cmd_global(tool_ctx *ctx);
int tool_cmd_verify_token(tool_ctx *ctx);
int tool_check_ssl_mode(tool_ctx *ctx);
int tool_check_on_off(tool_ctx *ctx);
int tool_change_global(tool_ctx *ctx, struct tool_edge *after, int *changed);

/* tool_cmd_certs.c: what zone and hostname certificates share (the table
 * row's kind says which) */
int tool_cmd_cert_upload(tool_ctx *ctx);
int tool_cmd_cert_list(tool_ctx *ctx);
int tool_cmd_cert_show(tool_ctx *ctx);
int tool_check_cert_id(tool_ctx *ctx);
extern const tool_option tool_cert_upload_options[];

/* tool_cmd_zone.c */
int tool_cmd_zone_enable(tool_ctx *ctx);
int tool_cmd_zone_delete(tool_ctx *ctx);
int tool_cmd_zone_rotate(tool_ctx *ctx);
extern const tool_option tool_zone_delete_options[];
extern const tool_option tool_zone_rotate_options[];
int tool_change_zone_enable(tool_ctx *ctx, struct tool_edge *after,
                            int *changed);
int tool_change_zone_delete(tool_ctx *ctx, struct tool_edge *after,
                            int *changed);
int tool_change_zone_rotate(tool_ctx *ctx, struct tool_edge *after,
                            int *changed);

/* tool_cmd_hostname.c */
int tool_cmd_host_delete_cert(tool_ctx *ctx);
int tool_cmd_host_enable(tool_ctx *ctx);
int tool_cmd_host_disable(tool_ctx *ctx);
int tool_cmd_host_show(tool_ctx *ctx);
int tool_cmd_host_rotate(tool_ctx *ctx);
int tool_check_hosts(tool_ctx *ctx);
int tool_check_delete_cert(tool_ctx *ctx);
int tool_check_enable(tool_ctx *ctx);
extern const tool_option tool_host_delete_cert_options[];
extern const tool_option tool_host_enable_options[];
extern const tool_option tool_host_rotate_options[];
int tool_change_host_enable(tool_ctx *ctx, struct tool_edge *after,
                            int *changed);
int tool_change_host_disable(tool_ctx *ctx, struct tool_edge *after,
                             int *changed);
int tool_change_host_rotate(tool_ctx *ctx, struct tool_edge *after,
                            int *changed);
int tool_change_host_delete_cert(tool_ctx *ctx, struct tool_edge *after,
                                 int *changed);

#endif /* TOOL_CMDS_H */
