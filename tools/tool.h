/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop: the admin tool of mod_cfaop. Shared declarations: exit codes, the
 * run context every command receives, and the command table entry.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stddef.h>
#include <jansson.h>

/* Exit codes (SPEC §3). */
#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAIL 1     /* the API or a check failed */
#define TOOL_EXIT_USAGE 2    /* usage error */
#define TOOL_EXIT_AUTH 3     /* authentication or permission error */
#define TOOL_EXIT_NOTFOUND 4 /* not found */
#define TOOL_EXIT_TIMEOUT 5  /* timed out waiting for a status */

#define TOOL_DEFAULT_API_BASE "https://api.cloudflare.com/client/v4"
#define TOOL_DEFAULT_TIMEOUT 30.0
#define TOOL_DEFAULT_WAIT 300.0
#define TOOL_ZONE_ID_LEN 32
/* Certificate ids are UUIDs (36); accept a little more, never path syntax. */
#define TOOL_ID_MAX 64
/* Certificates that expire within this many days are warned about. */
#define TOOL_EXPIRY_WARN_DAYS 30

/* Command-specific options, one bit each; the command table says which
 * ones a command accepts, so a stray --force is a usage error, not ignored. */
#define TOOL_OPT_CERT (1u << 0)
#define TOOL_OPT_KEY (1u << 1)
#define TOOL_OPT_WAIT (1u << 2)
#define TOOL_OPT_FORCE (1u << 3)
#define TOOL_OPT_CERT_ID (1u << 4)
#define TOOL_OPT_ENABLE (1u << 5)

struct tool_api;

typedef struct tool_ctx {
    /* global options, after option and environment resolution */
    const char *zone_arg; /* -z / CFAOP_ZONE, name or id */
    const char *token_file;
    const char *api_base;
    const char *cacert;
    int json;
    int dry_run;
    int quiet;
    int verbose;
    double timeout;

    /* command options */
    unsigned opts_seen;
    const char *cert_file;
    const char *key_file;
    const char *cert_id;
    double wait;
    int force;
    int enable; /* hostname rotate: also enable hosts disabled on purpose */

    /* tunables from the environment (documented in cfaop(1)) */
    double poll_interval;

    /* run state */
    char zone_id[TOOL_ZONE_ID_LEN + 1]; /* empty until resolved */
    char *zone_name;                    /* known when looked up by name */
    char *zone_account_id;              /* known when looked up by name */
    struct tool_api *api;
    json_t *result;    /* --json document printed at exit, owned */
    json_t *warnings;  /* every warning, also in the --json document */
    json_t *dry_calls; /* calls --dry-run did not make */
} tool_ctx;

struct tool_cmd;
typedef int (*tool_handler)(tool_ctx *ctx, const struct tool_cmd *cmd,
                            int argc, char **argv);
/* Checks (and normalises in place) a command's arguments before anything
 * else happens, so that a usage error wins over missing credentials. */
typedef int (*tool_check_fn)(tool_ctx *ctx, int argc, char **argv);

typedef struct tool_cmd {
    const char *name;    /* "zone" */
    const char *sub;     /* "upload", or NULL for a command without one */
    tool_handler fn;
    int mutates;         /* 1: changes state at Cloudflare (2: only with args) */
    int needs_zone;
    unsigned opts;       /* TOOL_OPT_* accepted */
    int min_args;
    int max_args;        /* -1: unbounded */
    const char *usage;   /* arguments, for --help */
    const char *summary;
    tool_check_fn check; /* NULL: any arguments */
} tool_cmd;

/* Handlers, one file per family. */
int tool_cmd_status(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_ssl_mode(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_global(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_verify_token(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_zone_enable(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_zone_upload(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_zone_list(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_zone_show(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_zone_delete(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_zone_rotate(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_host_upload(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_host_certs(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_host_cert(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_host_delete_cert(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_host_enable(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_host_disable(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_host_show(tool_ctx *, const tool_cmd *, int, char **);
int tool_cmd_host_rotate(tool_ctx *, const tool_cmd *, int, char **);

/* Argument checks. */
int tool_check_hosts(tool_ctx *ctx, int argc, char **argv);
int tool_check_cert_id(tool_ctx *ctx, int argc, char **argv);
int tool_check_delete_cert(tool_ctx *ctx, int argc, char **argv);
int tool_check_enable(tool_ctx *ctx, int argc, char **argv);
int tool_check_ssl_mode(tool_ctx *ctx, int argc, char **argv);
int tool_check_on_off(tool_ctx *ctx, int argc, char **argv);
/* TOOL_EXIT_USAGE (after an error) unless s is a zone id or name. */
int tool_zone_check_arg(const char *s);
/* Lower-cases a certificate id in place: the API's UUIDs are lower case. */
void tool_cert_id_lower(char *s);

/* Resolves ctx->zone_arg to ctx->zone_id (GET /zones?name= for a name). */
int tool_zone_resolve(tool_ctx *ctx);

/* 1 when s is exactly 32 hex digits (a zone id). */
int tool_is_zone_id(const char *s);
/* 1 when s is a plausible certificate id (letters, digits, '-'). */
int tool_is_cert_id(const char *s);

/* Wipes and frees a malloc'ed secret (token, key, email); sets *s NULL. */
void tool_secret_free(char **s);

/* Monotonic clock in seconds, and a sleep that survives signals. */
double tool_now(void);
void tool_sleep(double seconds);

#endif /* TOOL_H */
