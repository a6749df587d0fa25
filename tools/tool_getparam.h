/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_getparam: the command line. Global options come from one table
 * (tool_global_options), a command's own from its row of the command
 * table; both may stand before or after the command. Parsing goes on
 * after the first error, so that --json anywhere still applies to it.
 */
#ifndef TOOL_GETPARAM_H
#define TOOL_GETPARAM_H

#include "tool.h"

/* A command option as found on the command line, applied once the command
 * is known. */
typedef struct tool_found_option {
    const char *written; /* "cert": the option's name */
    const char *value;   /* NULL for a flag */
} tool_found_option;

typedef struct tool_params {
    int help;
    int version;
    char **pos; /* positional arguments, in order */
    int npos;
    tool_found_option *found; /* command options */
    int nfound;
    char error[512]; /* the first usage error, "" when none */
} tool_params;

extern const tool_option tool_global_options[];

/*
 * Reads argv into ctx->cfg (global options) and params (the rest). The
 * command table tells which command options exist and which of them take
 * an argument. TOOL_EXIT_OK, or TOOL_EXIT_USAGE with params->error set.
 */
int tool_getparam(tool_ctx *ctx, int argc, char **argv, const tool_cmd *cmds,
                  size_t ncmds, tool_params *params);
/* Applies the command options found to ctx->opt, refusing those that are
 * not the command's own. */
int tool_getparam_command(tool_ctx *ctx, tool_params *params,
                          const tool_cmd *cmd);
void tool_params_free(tool_params *params);

/* Parses a number of seconds in [min, one week]; -1 (with the message in
 * err) when it is not one. */
int tool_parse_seconds(const char *what, const char *text, double min,
                       double *out, char *err, size_t errlen);

#endif /* TOOL_GETPARAM_H */
