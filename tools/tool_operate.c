/* Licensed under the Apache License, Version 2.0; see LICENSE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "tool_api.h"
#include "tool_cmds.h"
#include "tool_creds.h"
#include "tool_getparam.h"
#include "tool_guard.h"
#include "tool_help.h"
#include "tool_local.h"
#include "tool_operate.h"
#include "tool_out.h"
#include "tool_zone.h"

/* The commands, in --help order. */
const tool_cmd tool_commands[] = {
    {.name = "status",
     .fn = tool_cmd_status,
     .needs = TOOL_NEEDS_ZONE,
     .max_args = -1,
     .check = tool_check_hosts,
     .usage = "[HOSTNAME...]",
     .summary = "SSL/TLS mode, global, zone-level and hostname AOP in one "
                "view, with warnings"},
    {.name = "ssl-mode",
     .fn = tool_cmd_ssl_mode,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES_WITH_ARG,
     .max_args = 1,
     .check = tool_check_ssl_mode,
     .usage = "[off|flexible|full|strict|origin_pull]",
     .summary = "show or set the SSL/TLS encryption mode"},
    {.name = "check-origin",
     .fn = tool_cmd_check_origin,
     .needs = TOOL_NEEDS_ZONE,
     .options = tool_check_origin_options,
     .check = tool_check_check_origin,
     .usage = "--policy SOURCE...",
     .summary = "which certificate the edge presents to each hostname the "
                "origins serve, and whether each origin accepts it"},
    {.name = "probe",
     .fn = tool_cmd_probe,
     .needs = TOOL_NEEDS_ZONE | TOOL_TAKES_CERT,
     .options = tool_probe_options,
     .min_args = 1,
     .max_args = -1,
     .check = tool_check_probe,
     .usage = "HOSTNAME... (--origin ADDR[:PORT]... | --from-dns) "
              "[--cert FILE --key FILE] [--path P] [--port N]",
     .summary = "pull from the origin as Cloudflare would: no certificate "
                "and a throwaway one refused, the real one accepted"},
    {.name = "global",
     .fn = tool_cmd_global,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES_WITH_ARG,
     .options = tool_guard_options,
     .max_args = 1,
     .check = tool_check_on_off,
     .change = tool_change_global,
     .usage = "[on|off]",
     .summary = "show or set global AOP (tls_client_auth: Cloudflare's shared "
                "certificate)"},
    {.name = "zone",
     .sub = "on",
     .fn = tool_cmd_zone_enable,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES,
     .options = tool_guard_options,
     .change = tool_change_zone_enable,
     .usage = "",
     .summary = "enable zone-level AOP"},
    {.name = "zone",
     .sub = "off",
     .fn = tool_cmd_zone_enable,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES,
     .options = tool_guard_options,
     .change = tool_change_zone_enable,
     .usage = "",
     .summary = "disable zone-level AOP"},
    {.name = "zone",
     .sub = "upload",
     .fn = tool_cmd_cert_upload,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES | TOOL_NEEDS_CERT,
     .kind = TOOL_CERT_ZONE,
     .options = tool_cert_upload_options,
     .usage = "--cert FILE --key FILE",
     .summary = "upload a zone certificate (an identical one is reused); "
                "prints its id"},
    {.name = "zone",
     .sub = "list",
     .fn = tool_cmd_cert_list,
     .needs = TOOL_NEEDS_ZONE,
     .kind = TOOL_CERT_ZONE,
     .usage = "",
     .summary = "list zone certificates"},
    {.name = "zone",
     .sub = "show",
     .fn = tool_cmd_cert_show,
     .needs = TOOL_NEEDS_ZONE,
     .kind = TOOL_CERT_ZONE,
     .min_args = 1,
     .max_args = 1,
     .check = tool_check_cert_id,
     .usage = "ID",
     .summary = "show a zone certificate"},
    {.name = "zone",
     .sub = "delete",
     .fn = tool_cmd_zone_delete,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES,
     .kind = TOOL_CERT_ZONE,
     .options = tool_zone_delete_options,
     .min_args = 1,
     .max_args = 1,
     .check = tool_check_cert_id,
     .change = tool_change_zone_delete,
     .usage = "ID [--force]",
     .summary = "delete a zone certificate (not the last active one while zone "
                "AOP is on)"},
    {.name = "zone",
     .sub = "rotate",
     .fn = tool_cmd_zone_rotate,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES | TOOL_NEEDS_CERT,
     .kind = TOOL_CERT_ZONE,
     .options = tool_zone_rotate_options,
     .change = tool_change_zone_rotate,
     .usage = "--cert FILE --key FILE [--wait SECONDS]",
     .summary =
         "upload, wait until active, then delete the older zone certificates"},
    {.name = "hostname",
     .sub = "upload",
     .fn = tool_cmd_cert_upload,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES | TOOL_NEEDS_CERT,
     .kind = TOOL_CERT_HOSTNAME,
     .options = tool_cert_upload_options,
     .usage = "--cert FILE --key FILE",
     .summary =
         "upload a hostname certificate (a leaf; an identical one is reused)"},
    {.name = "hostname",
     .sub = "certs",
     .fn = tool_cmd_cert_list,
     .needs = TOOL_NEEDS_ZONE,
     .kind = TOOL_CERT_HOSTNAME,
     .usage = "",
     .summary = "list hostname certificates"},
    {.name = "hostname",
     .sub = "cert",
     .fn = tool_cmd_cert_show,
     .needs = TOOL_NEEDS_ZONE,
     .kind = TOOL_CERT_HOSTNAME,
     .min_args = 1,
     .max_args = 1,
     .check = tool_check_cert_id,
     .usage = "ID",
     .summary = "show a hostname certificate"},
    {.name = "hostname",
     .sub = "delete-cert",
     .fn = tool_cmd_host_delete_cert,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES,
     .kind = TOOL_CERT_HOSTNAME,
     .options = tool_host_delete_cert_options,
     .min_args = 1,
     .max_args = -1,
     .check = tool_check_delete_cert,
     .change = tool_change_host_delete_cert,
     .usage = "ID [HOSTNAME...] [--force]",
     .summary = "delete a hostname certificate (not while a named or listed "
                "hostname uses it)"},
    {.name = "hostname",
     .sub = "enable",
     .fn = tool_cmd_host_enable,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES | TOOL_TAKES_CERT,
     .kind = TOOL_CERT_HOSTNAME,
     .options = tool_host_enable_options,
     .min_args = 1,
     .max_args = -1,
     .check = tool_check_enable,
     .change = tool_change_host_enable,
     .usage = "HOSTNAME... (--cert-id ID | --cert FILE --key FILE)",
     .summary =
         "associate HOSTNAMEs with a hostname certificate and enable them"},
    {.name = "hostname",
     .sub = "disable",
     .fn = tool_cmd_host_disable,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES,
     .options = tool_guard_options,
     .min_args = 1,
     .max_args = -1,
     .check = tool_check_hosts,
     .change = tool_change_host_disable,
     .usage = "HOSTNAME...",
     .summary = "enabled:false: Cloudflare presents no certificate to these "
                "hostnames"},
    {.name = "hostname",
     .sub = "remove",
     .fn = tool_cmd_host_disable,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES,
     .options = tool_guard_options,
     .min_args = 1,
     .max_args = -1,
     .check = tool_check_hosts,
     .change = tool_change_host_disable,
     .usage = "HOSTNAME...",
     .summary =
         "enabled:null: void the associations (zone-level AOP applies again)"},
    {.name = "hostname",
     .sub = "show",
     .fn = tool_cmd_host_show,
     .needs = TOOL_NEEDS_ZONE,
     .min_args = 1,
     .max_args = -1,
     .check = tool_check_hosts,
     .usage = "HOSTNAME...",
     .summary = "show hostname associations"},
    {.name = "hostname",
     .sub = "rotate",
     .fn = tool_cmd_host_rotate,
     .needs = TOOL_NEEDS_ZONE | TOOL_MUTATES | TOOL_NEEDS_CERT,
     .kind = TOOL_CERT_HOSTNAME,
     .options = tool_host_rotate_options,
     .change = tool_change_host_rotate,
     .min_args = 1,
     .max_args = -1,
     .check = tool_check_hosts,
     .usage = "HOSTNAME... --cert FILE --key FILE [--wait SECONDS] [--enable]",
     .summary = "upload, wait active, re-associate, wait active, delete the "
                "unused old certificate"},
    {.name = "verify-token",
     .fn = tool_cmd_verify_token,
     .usage = "",
     .summary =
         "check the API token (and, with -z, that it can read the zone)"},
};
const size_t tool_ncommands = sizeof(tool_commands) / sizeof(tool_commands[0]);

/* The row for NAME [SUB]; *family_found tells whether NAME is a command. */
static const tool_cmd *tool_find_command(const char *name, const char *sub,
                                         int *family_found)
{
    size_t i;

    *family_found = 0;
    for (i = 0; i < tool_ncommands; i++) {
        if (strcmp(tool_commands[i].name, name) != 0) {
            continue;
        }
        *family_found = 1;
        if (!tool_commands[i].sub
            || (sub && strcmp(tool_commands[i].sub, sub) == 0)) {
            return &tool_commands[i];
        }
    }
    return NULL;
}

static int tool_usage(const char *family, const char *fmt, const char *arg)
{
    char msg[512];

    snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
    return tool_usage_error(family, msg);
}

/*
 * Help, version and finding the command. TOOL_EXIT_OK with *cmd set to go
 * on; otherwise the exit code (0 for help and version), *cmd NULL.
 */
static int tool_operate_command(tool_ctx *ctx, tool_params *p,
                                const tool_cmd **cmd)
{
    const char *family = p->npos > 0 ? p->pos[0] : NULL;
    int family_found = 0;

    *cmd = NULL;
    if (p->error[0]) {
        return tool_usage_error(NULL, p->error);
    }
    if (p->version) {
        printf("cfaop %s (libcurl %s, jansson %s, %s)\n", PACKAGE_VERSION,
               curl_version_info(CURLVERSION_NOW)->version,
               jansson_version_str(), OpenSSL_version(OPENSSL_VERSION));
        return TOOL_EXIT_OK;
    }
    if (!family) {
        tool_help(p->help ? stdout : stderr, tool_commands, tool_ncommands,
                  NULL);
        return p->help ? TOOL_EXIT_OK : tool_exit_code(TOOL_FAILED_USAGE);
    }
    if (strcmp(family, "help") == 0) {
        family = p->npos > 1 ? p->pos[1] : NULL;
        if (family
            && (tool_find_command(family, NULL, &family_found),
                !family_found)) {
            return tool_usage(NULL, "no help for '%s': not a command", family);
        }
        tool_help(stdout, tool_commands, tool_ncommands, family);
        return TOOL_EXIT_OK;
    }
    *cmd = tool_find_command(family, p->npos > 1 ? p->pos[1] : NULL,
                             &family_found);
    if (!family_found) {
        return tool_usage(NULL, "unknown command '%s'", family);
    }
    if (p->help) {
        *cmd = NULL;
        tool_help(stdout, tool_commands, tool_ncommands, family);
        return TOOL_EXIT_OK;
    }
    if (!*cmd) {
        return tool_usage(family,
                          p->npos > 1 ? "unknown subcommand '%s'"
                                      : "a subcommand is needed%s",
                          p->npos > 1 ? p->pos[1] : NULL);
    }
    ctx->cmd = *cmd;
    ctx->argc = p->npos - ((*cmd)->sub ? 2 : 1);
    ctx->argv = p->pos + (p->npos - ctx->argc);
    return TOOL_EXIT_OK;
}

/* Environment defaults for what the options did not set. */
static int tool_operate_environment(tool_ctx *ctx)
{
    const char *env;
    char err[256];

    if (!ctx->cfg.zone_arg && (env = getenv("CFAOP_ZONE")) && *env) {
        ctx->cfg.zone_arg = env;
    }
    if (!ctx->cfg.api_base) {
        env = getenv("CLOUDFLARE_BASE_URL");
        ctx->cfg.api_base = env && *env ? env : TOOL_DEFAULT_API_BASE;
    }
    env = getenv("CFAOP_POLL_INTERVAL");
    if (env && *env
        && tool_parse_seconds("CFAOP_POLL_INTERVAL", env, 0.001,
                              &ctx->cfg.poll_interval, err, sizeof(err))
               != 0) {
        return tool_usage_error(NULL, err);
    }
    return TOOL_EXIT_OK;
}

/* Everything that can be judged without the API: a usage error is the
 * first thing to fix, before any missing credential. */
static int tool_operate_check(tool_ctx *ctx, tool_params *p)
{
    const tool_cmd *cmd = ctx->cmd;
    int rc;

    if (ctx->argc < cmd->min_args
        || (cmd->max_args >= 0 && ctx->argc > cmd->max_args)) {
        char usage[256];

        snprintf(usage, sizeof(usage), "usage: cfaop %s%s%s %s", cmd->name,
                 cmd->sub ? " " : "", cmd->sub ? cmd->sub : "", cmd->usage);
        return tool_usage_error(cmd->name, usage);
    }
    if (tool_getparam_command(ctx, p, cmd) != TOOL_EXIT_OK) {
        return tool_usage_error(cmd->name, p->error);
    }
    if ((cmd->needs & TOOL_NEEDS_CERT)
        && (!ctx->opt.cert_file || !ctx->opt.key_file)) {
        return tool_usage(
            cmd->name, "this command needs --cert FILE and --key FILE%s", NULL);
    }
    if (ctx->opt.cert_id && (ctx->opt.cert_file || ctx->opt.key_file)) {
        return tool_usage(cmd->name,
                          "use --cert-id or --cert/--key, not both%s", NULL);
    }
    if ((ctx->opt.cert_file != NULL) != (ctx->opt.key_file != NULL)) {
        return tool_usage(cmd->name, "--cert and --key go together%s", NULL);
    }
    rc = tool_operate_environment(ctx);
    if (rc == TOOL_EXIT_OK && (cmd->needs & TOOL_NEEDS_ZONE)
        && !ctx->cfg.zone_arg) {
        rc = tool_usage(
            cmd->name,
            "no zone given: use -z/--zone NAME|ID or set CFAOP_ZONE%s", NULL);
    }
    if (rc == TOOL_EXIT_OK && ctx->cfg.zone_arg) {
        rc = tool_zone_check_arg(ctx->cfg.zone_arg);
    }
    if (rc == TOOL_EXIT_OK && cmd->check) {
        rc = cmd->check(ctx);
    }
    return rc;
}

/*
 * What the table row asks for before the command runs: the certificate
 * (local checks first: a bad certificate costs no request; a command that
 * changes something may upload it, and checks it as such), then the zone.
 * The API is set up by then.
 */
static int tool_operate_setup(tool_ctx *ctx, struct tool_local_cert *lc)
{
    const tool_cmd *cmd = ctx->cmd;
    int rc = TOOL_EXIT_OK;

    if ((cmd->needs & (TOOL_NEEDS_CERT | TOOL_TAKES_CERT))
        && ctx->opt.cert_file) {
        rc = tool_local_load(ctx, (tool_cert_kind)cmd->kind, lc);
        if (rc == TOOL_EXIT_OK && (cmd->needs & TOOL_MUTATES)) {
            rc = tool_local_check_upload(ctx, lc);
        }
        ctx->cert = rc == TOOL_EXIT_OK ? lc : NULL;
    }
    if (rc == TOOL_EXIT_OK && (cmd->needs & TOOL_NEEDS_ZONE)) {
        rc = tool_zone_resolve(ctx);
    }
    if (rc == TOOL_EXIT_OK && ctx->cfg.dry_run
        && ((cmd->needs & TOOL_MUTATES)
            || ((cmd->needs & TOOL_MUTATES_WITH_ARG) && ctx->argc))) {
        tool_info(
            ctx,
            "dry-run: no change will be made (read-only lookups still are)");
    }
    return rc;
}

/* Credentials, the API, the setup, the command. */
static int tool_operate_run(tool_ctx *ctx)
{
    tool_credentials cred;
    tool_local_cert lc;
    int rc;

    memset(&lc, 0, sizeof(lc));
    rc = tool_credentials_load(ctx, &cred);
    if (rc != TOOL_EXIT_OK) {
        return rc;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        tool_error("cannot initialise libcurl");
        tool_credentials_free(&cred);
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    rc = tool_api_init(ctx, &cred);
    if (rc == TOOL_EXIT_OK) {
        rc = tool_operate_setup(ctx, &lc);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = tool_guard_run(ctx);
    }
    if (rc == TOOL_EXIT_OK) {
        rc = ctx->cmd->fn(ctx);
    }
    tool_api_free(ctx);
    tool_credentials_free(&cred);
    tool_local_free(&lc);
    ctx->cert = NULL;
    curl_global_cleanup();
    return rc;
}

static int tool_ctx_init(tool_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->cfg.timeout = TOOL_DEFAULT_TIMEOUT;
    ctx->cfg.poll_interval = 5.0;
    ctx->opt.wait = TOOL_DEFAULT_WAIT;
    ctx->warnings = json_array();
    ctx->dry_calls = json_array();
    return ctx->warnings && ctx->dry_calls ? 0 : -1;
}

static void tool_ctx_free(tool_ctx *ctx)
{
    json_decref(ctx->result);
    json_decref(ctx->warnings);
    json_decref(ctx->dry_calls);
    json_decref(ctx->origin_check);
    tool_strlist_free(&ctx->opt.policies);
    tool_strlist_free(&ctx->opt.origin_policies);
    tool_strlist_free(&ctx->opt.origins);
    free(ctx->zone_name);
    free(ctx->zone_account_id);
}

int tool_operate(int argc, char **argv)
{
    const tool_cmd *cmd = NULL;
    tool_params params;
    tool_ctx ctx;
    int rc;

    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    if (tool_ctx_init(&ctx) != 0) {
        tool_error("out of memory");
        tool_ctx_free(&ctx);
        return tool_exit_code(TOOL_FAILED_MEMORY);
    }
    tool_getparam(&ctx, argc, argv, tool_commands, tool_ncommands, &params);
    rc = tool_operate_command(&ctx, &params, &cmd);
    if (rc == TOOL_EXIT_OK && cmd) {
        rc = tool_operate_check(&ctx, &params);
    }
    if (rc == TOOL_EXIT_OK && cmd) {
        rc = tool_operate_run(&ctx);
    }
    /* The --json document is promised whatever happened, usage errors
     * included; help and version print only themselves. */
    if (cmd || rc != TOOL_EXIT_OK) {
        tool_out_finish(&ctx, rc);
    }
    rc = tool_out_close(rc);
    tool_out_forget_secrets();
    tool_params_free(&params);
    tool_ctx_free(&ctx);
    return rc;
}
