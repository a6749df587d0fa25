/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop: main, global options, credentials, and the command table that
 * drives both dispatch and --help.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "tool.h"
#include "tool_api.h"
#include "tool_out.h"

#define C TOOL_OPT_CERT
#define K TOOL_OPT_KEY
#define W TOOL_OPT_WAIT
#define F TOOL_OPT_FORCE
#define I TOOL_OPT_CERT_ID
#define E TOOL_OPT_ENABLE

/* name, sub, handler, mutates (2: with an argument), needs zone, options,
 * min/max arguments, usage, summary */
static const tool_cmd tool_commands[] = {
    {"status", NULL, tool_cmd_status, 0, 1, 0, 0, -1, "[HOSTNAME...]",
     "SSL/TLS mode, global, zone-level and hostname AOP in one view, with warnings", tool_check_hosts},
    {"ssl-mode", NULL, tool_cmd_ssl_mode, 2, 1, 0, 0, 1,
     "[off|flexible|full|strict|origin_pull]", "show or set the SSL/TLS encryption mode", tool_check_ssl_mode},
    {"global", NULL, tool_cmd_global, 2, 1, 0, 0, 1, "[on|off]",
     "show or set global AOP (tls_client_auth: Cloudflare's shared certificate)", tool_check_on_off},
    {"zone", "on", tool_cmd_zone_enable, 1, 1, 0, 0, 0, "", "enable zone-level AOP", NULL},
    {"zone", "off", tool_cmd_zone_enable, 1, 1, 0, 0, 0, "", "disable zone-level AOP", NULL},
    {"zone", "upload", tool_cmd_zone_upload, 1, 1, C | K, 0, 0, "--cert FILE --key FILE",
     "upload a zone certificate (an identical one is reused); prints its id", NULL},
    {"zone", "list", tool_cmd_zone_list, 0, 1, 0, 0, 0, "", "list zone certificates", NULL},
    {"zone", "show", tool_cmd_zone_show, 0, 1, 0, 1, 1, "ID", "show a zone certificate", tool_check_cert_id},
    {"zone", "delete", tool_cmd_zone_delete, 1, 1, F, 1, 1, "ID [--force]",
     "delete a zone certificate (not the last active one while zone AOP is on)", tool_check_cert_id},
    {"zone", "rotate", tool_cmd_zone_rotate, 1, 1, C | K | W, 0, 0,
     "--cert FILE --key FILE [--wait SECONDS]",
     "upload, wait until active, then delete the older zone certificates", NULL},
    {"hostname", "upload", tool_cmd_host_upload, 1, 1, C | K, 0, 0, "--cert FILE --key FILE",
     "upload a hostname certificate (a leaf; an identical one is reused)", NULL},
    {"hostname", "certs", tool_cmd_host_certs, 0, 1, 0, 0, 0, "", "list hostname certificates", NULL},
    {"hostname", "cert", tool_cmd_host_cert, 0, 1, 0, 1, 1, "ID", "show a hostname certificate", tool_check_cert_id},
    {"hostname", "delete-cert", tool_cmd_host_delete_cert, 1, 1, F, 1, -1,
     "ID [HOSTNAME...] [--force]",
     "delete a hostname certificate (not while a named or listed hostname uses it)", tool_check_delete_cert},
    {"hostname", "enable", tool_cmd_host_enable, 1, 1, C | K | I, 1, -1,
     "HOSTNAME... (--cert-id ID | --cert FILE --key FILE)",
     "associate HOSTNAMEs with a hostname certificate and enable them", tool_check_enable},
    {"hostname", "disable", tool_cmd_host_disable, 1, 1, 0, 1, -1, "HOSTNAME...",
     "enabled:false: Cloudflare presents no certificate to these hostnames", tool_check_hosts},
    {"hostname", "remove", tool_cmd_host_disable, 1, 1, 0, 1, -1, "HOSTNAME...",
     "enabled:null: void the associations (zone-level AOP applies again)", tool_check_hosts},
    {"hostname", "show", tool_cmd_host_show, 0, 1, 0, 1, -1, "HOSTNAME...",
     "show hostname associations", tool_check_hosts},
    {"hostname", "rotate", tool_cmd_host_rotate, 1, 1, C | K | W | E, 1, -1,
     "HOSTNAME... --cert FILE --key FILE [--wait SECONDS] [--enable]",
     "upload, wait active, re-associate, wait active, delete the unused old certificate", tool_check_hosts},
    {"verify-token", NULL, tool_cmd_verify_token, 0, 0, 0, 0, 0, "",
     "check the API token (and, with -z, that it can read the zone)", NULL},
};
#define TOOL_NCOMMANDS (sizeof(tool_commands) / sizeof(tool_commands[0]))

static const char tool_global_help[] =
    "Global options (before or after the command):\n"
    "  -z, --zone NAME|ID     zone name or 32-hex zone id (env CFAOP_ZONE)\n"
    "      --token-file FILE  read the API token from FILE ('-' = stdin); else env\n"
    "                         CLOUDFLARE_API_TOKEN, CF_API_TOKEN, or the legacy\n"
    "                         CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL\n"
    "      --api-base URL     API base (env CLOUDFLARE_BASE_URL;\n"
    "                         default " TOOL_DEFAULT_API_BASE ")\n"
    "      --cacert FILE      also trust these CAs for the API's TLS certificate\n"
    "      --json             machine-readable output on stdout\n"
    "      --dry-run          print the changing calls instead of making them\n"
    "      --timeout SECONDS  per-request timeout (default 30)\n"
    "  -q, --quiet            no progress messages\n"
    "  -v, --verbose          log each API call to stderr (never a secret)\n"
    "  -h, --help             this help (cfaop COMMAND --help for one command)\n"
    "      --version          print the version\n";

static void tool_usage_line(FILE *out, const tool_cmd *c)
{
    char head[64];

    snprintf(head, sizeof(head), "%s%s%s", c->name, c->sub ? " " : "", c->sub ? c->sub : "");
    fprintf(out, "  %s%s%s\n      %s\n", head, *c->usage ? " " : "", c->usage, c->summary);
}

/* Full help, or the lines of one command family. */
static void tool_help(FILE *out, const char *family)
{
    size_t i;

    fprintf(out, "Usage: cfaop [GLOBAL OPTIONS] COMMAND [ARGS]\n\n"
                 "Manage Cloudflare Authenticated Origin Pulls through the API.\n\n");
    fprintf(out, "Commands:\n");
    for (i = 0; i < TOOL_NCOMMANDS; i++) {
        if (!family || strcmp(family, tool_commands[i].name) == 0) {
            tool_usage_line(out, &tool_commands[i]);
        }
    }
    fprintf(out, "\n%s", tool_global_help);
    if (!family) {
        fprintf(out, "\nExit status: 0 success, 1 API or check failed, 2 usage error,\n"
                     "3 authentication or permission error, 4 not found,\n"
                     "5 timed out waiting for a status. See cfaop(1).\n");
    }
}

static int tool_usage_error(const char *family, const char *fmt, const char *arg)
{
    char msg[512];

    snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
    tool_error("%s", msg);
    fprintf(stderr, "Try 'cfaop %s%s--help'.\n", family ? family : "", family ? " " : "");
    return TOOL_EXIT_USAGE;
}

static int tool_parse_seconds(const char *opt, const char *arg, double min, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (errno || end == arg || *end || !isfinite(v) || v < min || v > 86400.0 * 7) {
        tool_error("%s: '%s' is not a number of seconds", opt, arg);
        return -1;
    }
    *out = v;
    return 0;
}

/* Removes leading and trailing whitespace (a token file's newline) in place. */
static void tool_trim(char *s)
{
    size_t n = strlen(s), start = 0;

    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    while (s[start] && isspace((unsigned char)s[start])) {
        start++;
    }
    memmove(s, s + start, n - start + 1);
}

/* Reads a token file (or stdin) into a malloc'ed, trimmed string. */
static int tool_read_token_file(tool_ctx *ctx, const char *path, char **token)
{
    FILE *f;
    struct stat st;
    char *buf = NULL;
    size_t cap = 4096, len;
    int rc = TOOL_EXIT_AUTH, is_stdin = strcmp(path, "-") == 0;

    errno = 0;
    f = is_stdin ? stdin : fopen(path, "r");
    if (!f) {
        tool_error("--token-file %s: %s", path, strerror(errno));
        return TOOL_EXIT_AUTH;
    }
    if (fstat(fileno(f), &st) != 0) {
        tool_error("--token-file %s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (S_ISDIR(st.st_mode)) {
        tool_error("--token-file %s: is a directory, not a file holding the token", path);
        goto cleanup;
    }
    if (!is_stdin && S_ISREG(st.st_mode) && (st.st_mode & 077)) {
        tool_warn(ctx, "token file %s is readable by other users (chmod 600 it)", path);
    }
    buf = malloc(cap);
    if (!buf) {
        goto cleanup;
    }
    len = fread(buf, 1, cap - 1, f);
    buf[len] = '\0';
    if (ferror(f)) {
        tool_error("--token-file %s: %s", is_stdin ? "(standard input)" : path,
                   strerror(errno ? errno : EIO));
        goto cleanup;
    }
    if (len == cap - 1) {
        tool_error("--token-file %s: too long for an API token", path);
        goto cleanup;
    }
    tool_trim(buf);
    *token = buf;
    buf = NULL;
    rc = TOOL_EXIT_OK;

cleanup:
    if (buf) {
        OPENSSL_cleanse(buf, cap);
        free(buf);
    }
    if (!is_stdin) {
        fclose(f);
    }
    return rc;
}

static char *tool_env_secret(const char *name)
{
    const char *v = getenv(name);
    char *copy;

    if (!v || !*v) {
        return NULL;
    }
    copy = strdup(v);
    if (copy) {
        tool_trim(copy);
    }
    return copy;
}

/* 1 when s has no whitespace or control characters (header-safe). */
static int tool_header_safe(const char *s)
{
    for (; *s; s++) {
        if (isspace((unsigned char)*s) || iscntrl((unsigned char)*s)) {
            return 0;
        }
    }
    return 1;
}

/*
 * The credentials, by precedence: --token-file, CLOUDFLARE_API_TOKEN,
 * CF_API_TOKEN; or the legacy CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL (also
 * CF_API_KEY + CF_API_EMAIL). A token and a key at once is ambiguous, and
 * refused as Cloudflare's own tools do.
 */
static int tool_credentials_load(tool_ctx *ctx, tool_credentials *cred)
{
    int rc = TOOL_EXIT_OK;

    memset(cred, 0, sizeof(*cred));
    if (ctx->token_file) {
        rc = tool_read_token_file(ctx, ctx->token_file, &cred->token);
        if (rc != TOOL_EXIT_OK) {
            goto cleanup;
        }
    } else {
        cred->token = tool_env_secret("CLOUDFLARE_API_TOKEN");
        if (!cred->token) {
            cred->token = tool_env_secret("CF_API_TOKEN");
        }
    }
    cred->key = tool_env_secret("CLOUDFLARE_API_KEY");
    if (!cred->key) {
        cred->key = tool_env_secret("CF_API_KEY");
    }
    cred->email = tool_env_secret("CLOUDFLARE_EMAIL");
    if (!cred->email) {
        cred->email = tool_env_secret("CF_API_EMAIL");
    }
    if (cred->token && cred->key) {
        tool_error("both an API token and a global API key are set; use one "
                   "(unset CLOUDFLARE_API_KEY or the token)");
        rc = TOOL_EXIT_USAGE;
        goto cleanup;
    }
    if (cred->token) {
        tool_secret_free(&cred->email);
        if (!*cred->token) {
            tool_error("the API token is empty");
            rc = TOOL_EXIT_AUTH;
        } else if (!tool_header_safe(cred->token)) {
            tool_error("the API token contains spaces or control characters");
            rc = TOOL_EXIT_AUTH;
        }
        goto cleanup;
    }
    if (cred->key) {
        if (!cred->email) {
            tool_error("CLOUDFLARE_API_KEY is set but CLOUDFLARE_EMAIL is not");
            rc = TOOL_EXIT_USAGE;
        } else if (!tool_header_safe(cred->key) || !tool_header_safe(cred->email)) {
            tool_error("the API key or email contains spaces or control characters");
            rc = TOOL_EXIT_AUTH;
        }
        goto cleanup;
    }
    tool_error("no API credentials: set CLOUDFLARE_API_TOKEN or use --token-file FILE "
               "(a token is never taken on the command line)");
    rc = TOOL_EXIT_AUTH;

cleanup:
    if (rc == TOOL_EXIT_OK) {
        tool_out_add_secret(cred->token);
        tool_out_add_secret(cred->key);
    }
    if (rc != TOOL_EXIT_OK) {
        tool_secret_free(&cred->token);
        tool_secret_free(&cred->key);
        tool_secret_free(&cred->email);
    }
    return rc;
}

enum {
    OPT_TOKEN_FILE = 256,
    OPT_API_BASE,
    OPT_CACERT,
    OPT_JSON,
    OPT_DRY_RUN,
    OPT_TIMEOUT,
    OPT_VERSION,
    OPT_CERT,
    OPT_KEY,
    OPT_WAIT,
    OPT_FORCE,
    OPT_CERT_ID,
    OPT_ENABLE,
    OPT_TOKEN
};

static const struct option tool_long_options[] = {
    {"zone", required_argument, NULL, 'z'},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"api-base", required_argument, NULL, OPT_API_BASE},
    {"cacert", required_argument, NULL, OPT_CACERT},
    {"json", no_argument, NULL, OPT_JSON},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"cert", required_argument, NULL, OPT_CERT},
    {"key", required_argument, NULL, OPT_KEY},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"force", no_argument, NULL, OPT_FORCE},
    {"cert-id", required_argument, NULL, OPT_CERT_ID},
    {"enable", no_argument, NULL, OPT_ENABLE},
    /* Recognised only to refuse it clearly: tokens do not belong in argv,
     * where every user of the machine can read them. */
    {"token", required_argument, NULL, OPT_TOKEN},
    {"api-token", required_argument, NULL, OPT_TOKEN},
    {NULL, 0, NULL, 0}};

static const tool_cmd *tool_find_command(const char *name, const char *sub, int *family_found)
{
    size_t i;

    *family_found = 0;
    for (i = 0; i < TOOL_NCOMMANDS; i++) {
        if (strcmp(tool_commands[i].name, name) != 0) {
            continue;
        }
        *family_found = 1;
        if (!tool_commands[i].sub || (sub && strcmp(tool_commands[i].sub, sub) == 0)) {
            return &tool_commands[i];
        }
    }
    return NULL;
}

static const char *const tool_opt_names[] = {"--cert", "--key",     "--wait",
                                             "--force", "--cert-id", "--enable"};

/* 1 when --json is among the options, also those after a usage error:
 * the document is promised whatever happens. */
static int tool_argv_wants_json(int argc, char **argv)
{
    const struct option *o;
    int i;

    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            return 1;
        }
        if (strcmp(argv[i], "-z") == 0) {
            i++; /* its argument */
            continue;
        }
        for (o = tool_long_options; o->name; o++) {
            if (o->has_arg == required_argument && strncmp(argv[i], "--", 2) == 0
                && strcmp(argv[i] + 2, o->name) == 0) {
                i++;
                break;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    tool_ctx ctx;
    tool_credentials cred;
    const tool_cmd *cmd = NULL;
    char **pos = NULL;
    const char *env;
    int npos = 0, help = 0, version = 0, family_found, c, rc = TOOL_EXIT_USAGE, i, nargs;
    unsigned bit;

    memset(&ctx, 0, sizeof(ctx));
    memset(&cred, 0, sizeof(cred));
    ctx.timeout = TOOL_DEFAULT_TIMEOUT;
    ctx.wait = TOOL_DEFAULT_WAIT;
    ctx.poll_interval = 5.0;
    ctx.warnings = json_array();
    ctx.dry_calls = json_array();
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    ctx.json = tool_argv_wants_json(argc, argv);

    pos = calloc((size_t)argc + 1, sizeof(*pos));
    if (!pos || !ctx.warnings || !ctx.dry_calls) {
        tool_error("out of memory");
        rc = TOOL_EXIT_FAIL;
        goto cleanup;
    }
    /* "-" first in optstring: options and arguments in any order, even
     * with POSIXLY_CORRECT set; non-options come back as code 1. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "-:z:qvh", tool_long_options, NULL)) != -1) {
        switch (c) {
        case 1:
            pos[npos++] = optarg;
            break;
        case 'z':
            ctx.zone_arg = optarg;
            break;
        case OPT_TOKEN_FILE:
            ctx.token_file = optarg;
            break;
        case OPT_API_BASE:
            ctx.api_base = optarg;
            break;
        case OPT_CACERT:
            ctx.cacert = optarg;
            break;
        case OPT_JSON:
            ctx.json = 1;
            break;
        case OPT_DRY_RUN:
            ctx.dry_run = 1;
            break;
        case OPT_TIMEOUT:
            if (tool_parse_seconds("--timeout", optarg, 0.001, &ctx.timeout) != 0) {
                goto cleanup;
            }
            break;
        case 'q':
            ctx.quiet = 1;
            break;
        case 'v':
            ctx.verbose = 1;
            break;
        case 'h':
            help = 1;
            break;
        case OPT_VERSION:
            version = 1;
            break;
        case OPT_CERT:
            ctx.cert_file = optarg;
            ctx.opts_seen |= TOOL_OPT_CERT;
            break;
        case OPT_KEY:
            ctx.key_file = optarg;
            ctx.opts_seen |= TOOL_OPT_KEY;
            break;
        case OPT_WAIT:
            if (tool_parse_seconds("--wait", optarg, 0, &ctx.wait) != 0) {
                goto cleanup;
            }
            ctx.opts_seen |= TOOL_OPT_WAIT;
            break;
        case OPT_FORCE:
            ctx.force = 1;
            ctx.opts_seen |= TOOL_OPT_FORCE;
            break;
        case OPT_CERT_ID:
            ctx.cert_id = optarg;
            ctx.opts_seen |= TOOL_OPT_CERT_ID;
            break;
        case OPT_ENABLE:
            ctx.enable = 1;
            ctx.opts_seen |= TOOL_OPT_ENABLE;
            break;
        case OPT_TOKEN:
            rc = tool_usage_error(NULL, "a token is never accepted as an argument: use "
                                  "--token-file FILE or CLOUDFLARE_API_TOKEN%s", NULL);
            goto cleanup;
        case ':':
            rc = tool_usage_error(NULL, "option '%s' needs an argument", argv[optind - 1]);
            goto cleanup;
        default:
            rc = tool_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
            goto cleanup;
        }
    }
    while (optind < argc) { /* after "--" */
        pos[npos++] = argv[optind++];
    }
    if (ctx.quiet && ctx.verbose) {
        rc = tool_usage_error(NULL, "-q and -v contradict each other%s", NULL);
        goto cleanup;
    }

    if (version) {
        printf("cfaop %s (libcurl %s, jansson %s, %s)\n", PACKAGE_VERSION,
               curl_version_info(CURLVERSION_NOW)->version, jansson_version_str(),
               OpenSSL_version(OPENSSL_VERSION));
        rc = TOOL_EXIT_OK;
        goto cleanup;
    }
    if (npos == 0) {
        if (help) {
            tool_help(stdout, NULL);
            rc = TOOL_EXIT_OK;
        } else {
            tool_help(stderr, NULL);
        }
        goto cleanup;
    }
    if (strcmp(pos[0], "help") == 0) {
        if (npos > 1 && !tool_find_command(pos[1], NULL, &family_found) && !family_found) {
            rc = tool_usage_error(NULL, "no help for '%s': not a command", pos[1]);
            goto cleanup;
        }
        tool_help(stdout, npos > 1 ? pos[1] : NULL);
        rc = TOOL_EXIT_OK;
        goto cleanup;
    }
    cmd = tool_find_command(pos[0], npos > 1 ? pos[1] : NULL, &family_found);
    if (!family_found) {
        rc = tool_usage_error(NULL, "unknown command '%s'", pos[0]);
        goto cleanup;
    }
    if (help) {
        tool_help(stdout, pos[0]);
        rc = TOOL_EXIT_OK;
        goto cleanup;
    }
    if (!cmd) {
        rc = tool_usage_error(pos[0],
                              npos > 1 ? "unknown subcommand '%s'" : "a subcommand is needed%s",
                              npos > 1 ? pos[1] : NULL);
        goto cleanup;
    }
    nargs = npos - (cmd->sub ? 2 : 1);
    if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
        char msg[256];

        snprintf(msg, sizeof(msg), "usage: cfaop %s%s%s %s", cmd->name, cmd->sub ? " " : "",
                 cmd->sub ? cmd->sub : "", cmd->usage);
        rc = tool_usage_error(cmd->name, "%s", msg);
        goto cleanup;
    }
    for (i = 0, bit = 1; i < 6; i++, bit <<= 1) {
        if ((ctx.opts_seen & bit) && !(cmd->opts & bit)) {
            rc = tool_usage_error(cmd->name, "option %s does not apply to this command",
                                  tool_opt_names[i]);
            goto cleanup;
        }
    }
    if ((cmd->opts & TOOL_OPT_CERT) && !(cmd->opts & TOOL_OPT_CERT_ID)
        && (!ctx.cert_file || !ctx.key_file)) {
        rc = tool_usage_error(cmd->name, "this command needs --cert FILE and --key FILE%s", NULL);
        goto cleanup;
    }
    if (ctx.cert_id && (ctx.cert_file || ctx.key_file)) {
        rc = tool_usage_error(cmd->name, "use --cert-id or --cert/--key, not both%s", NULL);
        goto cleanup;
    }
    if ((ctx.cert_file != NULL) != (ctx.key_file != NULL)) {
        rc = tool_usage_error(cmd->name, "--cert and --key go together%s", NULL);
        goto cleanup;
    }

    /* Environment defaults for what the options did not set. */
    if (!ctx.zone_arg && (env = getenv("CFAOP_ZONE")) && *env) {
        ctx.zone_arg = env;
    }
    if (!ctx.api_base) {
        env = getenv("CLOUDFLARE_BASE_URL");
        ctx.api_base = env && *env ? env : TOOL_DEFAULT_API_BASE;
    }
    if ((env = getenv("CFAOP_POLL_INTERVAL")) && *env) {
        if (tool_parse_seconds("CFAOP_POLL_INTERVAL", env, 0.001, &ctx.poll_interval) != 0) {
            goto cleanup;
        }
    }
    if (cmd->needs_zone && !ctx.zone_arg) {
        rc = tool_usage_error(cmd->name, "no zone given: use -z/--zone NAME|ID or set "
                              "CFAOP_ZONE%s", NULL);
        goto cleanup;
    }
    /* Every argument is checked before the credentials are: a usage error
     * is the first thing to fix. */
    if (ctx.zone_arg && (rc = tool_zone_check_arg(ctx.zone_arg)) != TOOL_EXIT_OK) {
        goto cleanup;
    }
    if (cmd->check && (rc = cmd->check(&ctx, nargs, pos + (npos - nargs))) != TOOL_EXIT_OK) {
        goto cleanup;
    }

    rc = tool_credentials_load(&ctx, &cred);
    if (rc != TOOL_EXIT_OK) {
        goto cleanup;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        tool_error("cannot initialise libcurl");
        rc = TOOL_EXIT_FAIL;
        goto cleanup;
    }
    rc = tool_api_init(&ctx, &cred);
    if (rc == TOOL_EXIT_OK) {
        if (ctx.dry_run && (cmd->mutates == 1 || (cmd->mutates == 2 && nargs > 0))) {
            tool_info(&ctx, "dry-run: no change will be made (read-only lookups still are)");
        }
        rc = cmd->fn(&ctx, cmd, nargs, pos + (npos - nargs));
    }
    tool_api_free(&ctx);
    curl_global_cleanup();

cleanup:
    if (cmd || rc != TOOL_EXIT_OK) {
        tool_out_finish(&ctx, rc);
    }
    rc = tool_out_close(rc);
    tool_out_forget_secrets();
    tool_secret_free(&cred.token);
    tool_secret_free(&cred.key);
    tool_secret_free(&cred.email);
    json_decref(ctx.result);
    json_decref(ctx.warnings);
    json_decref(ctx.dry_calls);
    free(ctx.zone_name);
    free(ctx.zone_account_id);
    free(pos);
    return rc;
}
