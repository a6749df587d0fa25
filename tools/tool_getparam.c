/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_getparam.h"

#define TOOL_CFG(field) offsetof(tool_config, field)

/* The longest wait or timeout taken: a week. */
#define TOOL_MAX_SECONDS (86400.0 * 7)

const tool_option tool_global_options[] = {
    {"zone", 'z', TOOL_ARG_STRING, TOOL_CFG(zone_arg), 0},
    {"token-file", 0, TOOL_ARG_STRING, TOOL_CFG(token_file), 0},
    {"api-base", 0, TOOL_ARG_STRING, TOOL_CFG(api_base), 0},
    {"cacert", 0, TOOL_ARG_STRING, TOOL_CFG(cacert), 0},
    {"json", 0, TOOL_ARG_FLAG, TOOL_CFG(json), 0},
    {"dry-run", 0, TOOL_ARG_FLAG, TOOL_CFG(dry_run), 0},
    {"timeout", 0, TOOL_ARG_SECONDS, TOOL_CFG(timeout), 0.001},
    {"quiet", 'q', TOOL_ARG_FLAG, TOOL_CFG(quiet), 0},
    {"verbose", 'v', TOOL_ARG_FLAG, TOOL_CFG(verbose), 0},
    {"help", 'h', TOOL_ARG_HELP, 0, 0},
    {"version", 0, TOOL_ARG_VERSION, 0, 0},
    /* Recognised only to refuse them clearly: tokens do not belong in
     * argv, where every user of the machine can read them. */
    {"token", 0, TOOL_ARG_REFUSED, 0, 0},
    {"api-token", 0, TOOL_ARG_REFUSED, 0, 0},
    {NULL, 0, TOOL_ARG_FLAG, 0, 0},
};

int tool_parse_seconds(const char *what, const char *text, double min,
                       double *out, char *err, size_t errlen)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < min
        || v > TOOL_MAX_SECONDS) {
        snprintf(err, errlen, "%s: '%s' is not a number of seconds", what,
                 text);
        return -1;
    }
    *out = v;
    return 0;
}

static int tool_takes_value(tool_arg arg)
{
    return arg == TOOL_ARG_STRING || arg == TOOL_ARG_SECONDS
           || arg == TOOL_ARG_LIST || arg == TOOL_ARG_REFUSED;
}

static const tool_option *tool_find_long(const tool_option *table,
                                         const char *name, size_t len)
{
    for (; table && table->name; table++) {
        if (strlen(table->name) == len
            && strncmp(table->name, name, len) == 0) {
            return table;
        }
    }
    return NULL;
}

static const tool_option *tool_find_short(char letter)
{
    const tool_option *o;

    for (o = tool_global_options; o->name; o++) {
        if (o->letter && o->letter == letter) {
            return o;
        }
    }
    return NULL;
}

/* Any command's option of this name: it tells whether it takes a value. */
static const tool_option *tool_find_command_option(const tool_cmd *cmds,
                                                   size_t ncmds,
                                                   const char *name, size_t len)
{
    const tool_option *o;
    size_t i;

    for (i = 0; i < ncmds; i++) {
        if ((o = tool_find_long(cmds[i].options, name, len)) != NULL) {
            return o;
        }
    }
    return NULL;
}

static void tool_param_error(tool_params *p, const char *fmt, const char *arg)
{
    if (!p->error[0]) {
        snprintf(p->error, sizeof(p->error), fmt, arg);
    }
}

/* Stores an option's value in the struct its table fills. */
static void tool_apply(const tool_option *o, void *base, const char *written,
                       const char *value, tool_params *p)
{
    char err[sizeof(p->error)];

    switch (o->arg) {
    case TOOL_ARG_FLAG:
        *(int *)((char *)base + o->offset) = 1;
        break;
    case TOOL_ARG_STRING:
        *(const char **)((char *)base + o->offset) = value;
        break;
    case TOOL_ARG_SECONDS:
        if (tool_parse_seconds(written, value, o->min,
                               (double *)((char *)base + o->offset), err,
                               sizeof(err))
            != 0) {
            tool_param_error(p, "%s", err);
        }
        break;
    case TOOL_ARG_LIST:
        if (tool_strlist_add((tool_strlist *)((char *)base + o->offset), value)
            != 0) {
            tool_param_error(p, "out of memory%s", "");
        }
        break;
    case TOOL_ARG_HELP:
        p->help = 1;
        break;
    case TOOL_ARG_VERSION:
        p->version = 1;
        break;
    case TOOL_ARG_REFUSED:
        tool_param_error(p,
                         "a token is never accepted as an argument: use "
                         "--token-file FILE or CLOUDFLARE_API_TOKEN%s",
                         "");
        break;
    }
}

/* One "--name[=value]" argument at argv[*i]; may consume the next one. */
static void tool_getparam_long(tool_ctx *ctx, int argc, char **argv, int *i,
                               const tool_cmd *cmds, size_t ncmds,
                               tool_params *p)
{
    const char *name = argv[*i] + 2, *eq = strchr(name, '='), *value = NULL;
    size_t len = eq ? (size_t)(eq - name) : strlen(name);
    const tool_option *o = tool_find_long(tool_global_options, name, len);
    int global = o != NULL;

    if (!o && !(o = tool_find_command_option(cmds, ncmds, name, len))) {
        tool_param_error(p, "unknown option '%s'", argv[*i]);
        return;
    }
    if (tool_takes_value(o->arg)) {
        if (eq) {
            value = eq + 1;
        }
        else if (*i + 1 < argc) {
            value = argv[++*i];
        }
        else {
            tool_param_error(p, "option '%s' needs an argument", argv[*i]);
            return;
        }
    }
    else if (eq) {
        tool_param_error(p, "option '%s' takes no argument", argv[*i]);
        return;
    }
    if (global) {
        tool_apply(o, &ctx->cfg, argv[*i], value, p);
        return;
    }
    p->found[p->nfound].written = o->name;
    p->found[p->nfound].value = value;
    p->nfound++;
}

/* "-qv", "-z NAME", "-zNAME". */
static void tool_getparam_short(tool_ctx *ctx, int argc, char **argv, int *i,
                                tool_params *p)
{
    const char *a = argv[*i];
    const tool_option *o;
    char opt[3] = "-?";
    size_t k;

    for (k = 1; a[k]; k++) {
        opt[1] = a[k];
        o = tool_find_short(a[k]);
        if (!o) {
            tool_param_error(p, "unknown option '%s'", opt);
            return;
        }
        if (!tool_takes_value(o->arg)) {
            tool_apply(o, &ctx->cfg, opt, NULL, p);
            continue;
        }
        if (a[k + 1]) {
            tool_apply(o, &ctx->cfg, opt, a + k + 1, p);
        }
        else if (*i + 1 < argc) {
            tool_apply(o, &ctx->cfg, opt, argv[++*i], p);
        }
        else {
            tool_param_error(p, "option '%s' needs an argument", opt);
        }
        return;
    }
}

int tool_getparam(tool_ctx *ctx, int argc, char **argv, const tool_cmd *cmds,
                  size_t ncmds, tool_params *p)
{
    int i, only_positional = 0;

    memset(p, 0, sizeof(*p));
    p->pos = calloc((size_t)argc + 1, sizeof(*p->pos));
    p->found = calloc((size_t)argc + 1, sizeof(*p->found));
    if (!p->pos || !p->found) {
        snprintf(p->error, sizeof(p->error), "out of memory");
        return TOOL_EXIT_FAIL;
    }
    for (i = 1; i < argc; i++) {
        if (only_positional || argv[i][0] != '-' || argv[i][1] == '\0') {
            p->pos[p->npos++] = argv[i];
        }
        else if (strcmp(argv[i], "--") == 0) {
            only_positional = 1;
        }
        else if (argv[i][1] == '-') {
            tool_getparam_long(ctx, argc, argv, &i, cmds, ncmds, p);
        }
        else {
            tool_getparam_short(ctx, argc, argv, &i, p);
        }
    }
    if (!p->error[0] && ctx->cfg.quiet && ctx->cfg.verbose) {
        tool_param_error(p, "-q and -v contradict each other%s", "");
    }
    return p->error[0] ? tool_exit_code(TOOL_FAILED_USAGE) : TOOL_EXIT_OK;
}

int tool_getparam_command(tool_ctx *ctx, tool_params *p, const tool_cmd *cmd)
{
    const tool_option *o;
    char written[64];
    int i;

    for (i = 0; i < p->nfound && !p->error[0]; i++) {
        snprintf(written, sizeof(written), "--%s", p->found[i].written);
        o = tool_find_long(cmd->options, p->found[i].written,
                           strlen(p->found[i].written));
        if (!o) {
            tool_param_error(p, "option %s does not apply to this command",
                             written);
        }
        else {
            tool_apply(o, &ctx->opt, written, p->found[i].value, p);
        }
    }
    return p->error[0] ? tool_exit_code(TOOL_FAILED_USAGE) : TOOL_EXIT_OK;
}

void tool_params_free(tool_params *p)
{
    free(p->pos);
    free(p->found);
    p->pos = NULL;
    p->found = NULL;
}
