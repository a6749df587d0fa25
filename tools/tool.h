/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop: the admin tool of mod_cfaop. Shared declarations: exit codes and
 * the one map from a kind of failure to its exit code, the configuration
 * (global options apart from a command's own), the run context every
 * command receives, and the command table entry.
 */
#ifndef TOOL_H
#define TOOL_H

#include <stddef.h>

#include <jansson.h>

/* A parameter a callback's signature imposes and the callback ignores. */
#if defined(__GNUC__)
#define TOOL_UNUSED __attribute__((unused))
#else
#define TOOL_UNUSED
#endif

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown" /* built outside configure (fuzzing) */
#endif

/* Exit codes, as documented in cfaop(1). */
#define TOOL_EXIT_OK 0
#define TOOL_EXIT_FAIL 1     /* the API or a check failed */
#define TOOL_EXIT_USAGE 2    /* usage error */
#define TOOL_EXIT_AUTH 3     /* authentication or permission error */
#define TOOL_EXIT_NOTFOUND 4 /* not found */
#define TOOL_EXIT_TIMEOUT 5  /* timed out waiting for a status */

/* What went wrong, whatever the place: tool_exit_code() maps each kind to
 * its exit code, so one failure has one exit code everywhere. */
typedef enum tool_failure {
    TOOL_FAILED_NOTHING = 0,
    TOOL_FAILED_USAGE,       /* arguments, options, environment */
    TOOL_FAILED_CHECK,       /* a local check (certificate, file) */
    TOOL_FAILED_MEMORY,      /* out of memory */
    TOOL_FAILED_TRANSPORT,   /* no HTTP answer (DNS, TCP, TLS, timeout) */
    TOOL_FAILED_MALFORMED,   /* an answer that is not what the API sends */
    TOOL_FAILED_API,         /* the API said no */
    TOOL_FAILED_CREDENTIALS, /* the API refused the credentials */
    TOOL_FAILED_NOTFOUND,    /* the API has no such object */
    TOOL_FAILED_TIMEOUT,     /* a status did not come in time */
    TOOL_FAILED_STATE        /* the API's state forbids it (guards) */
} tool_failure;

int tool_exit_code(tool_failure failure);

#define TOOL_DEFAULT_API_BASE "https://api.cloudflare.com/client/v4"
#define TOOL_DEFAULT_TIMEOUT 30.0
#define TOOL_DEFAULT_WAIT 300.0
#define TOOL_ZONE_ID_LEN 32
/* Certificate ids are UUIDs (36); accept a little more, never path syntax. */
#define TOOL_ID_MAX 64
/* Certificates that expire within this many days are warned about. */
#define TOOL_EXPIRY_WARN_DAYS 30

struct tool_api;
struct tool_cmd;
struct tool_edge;
struct tool_local_cert;

/* The values of a repeatable option, in the order given. */
typedef struct tool_strlist {
    const char **v; /* point into argv or the environment */
    int n;
} tool_strlist;

int tool_strlist_add(tool_strlist *l, const char *value);
void tool_strlist_free(tool_strlist *l);

/* Global options, after option and environment resolution. */
typedef struct tool_config {
    const char *zone_arg; /* -z / CFAOP_ZONE, name or id */
    const char *token_file;
    const char *api_base;
    const char *cacert;
    int json;
    int dry_run;
    int quiet;
    int verbose;
    double timeout;
    double poll_interval; /* CFAOP_POLL_INTERVAL */
} tool_config;

/* Options that belong to a command (its table says which it takes). */
typedef struct tool_cmd_opts {
    const char *cert_file;
    const char *key_file;
    const char *cert_id;
    double wait;
    int force;
    int enable; /* hostname rotate: also enable hosts disabled on purpose */
    tool_strlist policies;        /* check-origin --policy */
    tool_strlist origin_policies; /* guards: --origin-policy */
    tool_strlist origins;         /* probe --origin */
    int from_dns;                 /* probe --from-dns */
    const char *path;             /* probe --path */
    const char *port;             /* probe --port */
} tool_cmd_opts;

typedef struct tool_ctx {
    tool_config cfg;
    tool_cmd_opts opt;

    /* the command and its arguments */
    const struct tool_cmd *cmd;
    int argc;
    char **argv;
    /* --cert/--key, loaded and checked before any request (or NULL) */
    struct tool_local_cert *cert;

    /* run state */
    char zone_id[TOOL_ZONE_ID_LEN + 1]; /* empty until resolved */
    char *zone_name;                    /* known when looked up by name */
    char *zone_account_id;              /* known when looked up by name */
    struct tool_api *api;
    json_t *result;       /* --json document printed at exit, owned */
    json_t *warnings;     /* every warning, also in the --json document */
    json_t *dry_calls;    /* calls --dry-run did not make */
    json_t *origin_check; /* a guard's verdict, also in the --json document */
} tool_ctx;

/* One option of a table: its long name (without "--"), a short letter or
 * 0, what its argument is, and where the value goes (an offset into the
 * struct the table fills: tool_config or tool_cmd_opts). */
typedef enum tool_arg {
    TOOL_ARG_FLAG = 0, /* no argument; sets an int to 1 */
    TOOL_ARG_STRING,   /* a const char * */
    TOOL_ARG_SECONDS,  /* a double of seconds, >= min */
    TOOL_ARG_HELP,     /* --help */
    TOOL_ARG_VERSION,  /* --version */
    TOOL_ARG_LIST,     /* repeatable; appends to a tool_strlist */
    TOOL_ARG_REFUSED   /* recognised only to refuse it (--token) */
} tool_arg;

typedef struct tool_option {
    const char *name;
    char letter;
    tool_arg arg;
    size_t offset;
    double min;
} tool_option;

/* What a command needs before it runs; the dispatcher does it once.
 * TOOL_NEEDS_ZONE: -z resolved to ctx->zone_id. TOOL_MUTATES: changes
 * state at Cloudflare (TOOL_MUTATES_WITH_ARG: only with an argument).
 * TOOL_NEEDS_CERT: --cert and --key, loaded into ctx->cert before any
 * request. TOOL_TAKES_CERT: --cert/--key (loaded) or --cert-id. */
#define TOOL_NEEDS_ZONE (1u << 0)
#define TOOL_MUTATES (1u << 1)
#define TOOL_MUTATES_WITH_ARG (1u << 2)
#define TOOL_NEEDS_CERT (1u << 3)
#define TOOL_TAKES_CERT (1u << 4)

typedef int (*tool_handler)(tool_ctx *ctx);

/* A command that changes what Cloudflare presents to origins describes its
 * change on a copy of the edge's state (tool_edge.h), so that a guard can
 * judge the state after it before anything is written. *changed 0: this
 * invocation changes nothing (e.g. `global` without an argument). */
typedef int (*tool_change_fn)(tool_ctx *ctx, struct tool_edge *after,
                              int *changed);

typedef struct tool_cmd {
    const char *name; /* "zone" */
    const char *sub;  /* "upload", or NULL for a command without one */
    tool_handler fn;
    unsigned needs;             /* TOOL_NEEDS_* / TOOL_MUTATES* */
    int kind;                   /* tool_cert_kind of certificate commands */
    const tool_option *options; /* the command's own, NULL-terminated */
    int min_args;
    int max_args; /* -1: unbounded */
    /* Checks (and normalises in place) the arguments before anything else
     * happens, so that a usage error wins over missing credentials. */
    tool_handler check;
    /* Set for the commands that change what Cloudflare presents: they take
     * --origin-policy and are guarded by it (tool_guard.h). */
    tool_change_fn change;
    const char *usage; /* arguments, for --help */
    const char *summary;
} tool_cmd;

#endif /* TOOL_H */
