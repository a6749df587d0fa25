/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_origin: what an origin accepts, read from its cfaop-policy/1
 * document (docs/policy-format.md: `apache2 -t -D DUMP_CFAOP`, or the
 * cfaop-status handler), and the module's own rule applied to a
 * certificate: the policies are rebuilt with the core (aop_policy), the
 * policy of a hostname is selected as the module selects it, and a chain
 * is verified at the security level of Apache's TLS layer.
 */
#ifndef TOOL_ORIGIN_H
#define TOOL_ORIGIN_H

#include <time.h>

#include <jansson.h>

#include "aop_hostname.h"
#include "aop_policy.h"
#include "tool.h"

typedef struct tool_policy {
    char *id;
    aop_policy *policy;
    int anchors;
    int pins;
    int trusts_cloudflare; /* Cloudflare's origin-pull CA is an anchor */
} tool_policy;

typedef struct tool_origin {
    char *label; /* the SOURCE as given; "stdin" for "-" */
    json_t *doc;
    tool_policy *policies;
    size_t npolicies;
} tool_origin;

typedef struct tool_origins {
    tool_origin *v;
    size_t n;
} tool_origins;

/* A hostname of the zone that an origin serves. */
typedef struct tool_served {
    size_t origin;
    char host[AOP_HOSTNAME_MAX];
    const json_t *vhost;       /* its entry in "vhosts" or "open" */
    const tool_policy *policy; /* NULL: served without the engine */
    int hostname_scope;        /* a hostname rule applies, not the zone's */
    int report;                /* CFAOPMode report */
} tool_served;

/*
 * Reads every SOURCE (a file, "-" for stdin, or an https:// URL fetched
 * with the tool's TLS trust) and builds its policies. Returns TOOL_EXIT_OK
 * or an exit code after saying which source is wrong.
 */
int tool_origins_load(tool_ctx *ctx, const tool_strlist *sources,
                      tool_origins *out);
void tool_origins_free(tool_origins *o);

/*
 * The hostnames of ZONE (the zone itself and names below it) that the
 * origins serve: ServerName, ServerAlias and hostname-rule names of every
 * vhost with the engine, then the names of the "open" servers that no
 * protected vhost of the same origin serves. Wildcard names cannot be
 * judged one by one: they go to `skipped` as {hostname, origin, why}.
 * *out is malloc'ed.
 */
int tool_origins_served(const tool_origins *o, const char *zone,
                        json_t *skipped, tool_served **out, size_t *n);

typedef enum tool_accept {
    TOOL_ACCEPT_YES = 0,
    TOOL_ACCEPT_NO,
    TOOL_ACCEPT_UNKNOWN
} tool_accept;

/* What Cloudflare's edge presents to an origin for a hostname. */
typedef enum tool_level {
    TOOL_LEVEL_NONE = 0,
    TOOL_LEVEL_GLOBAL,  /* Cloudflare's shared certificate */
    TOOL_LEVEL_ZONE,    /* the zone's (newest active) certificate */
    TOOL_LEVEL_HOSTNAME /* the hostname association's certificate */
} tool_level;

const char *tool_level_name(tool_level level);

/*
 * Judges what the edge presents (`pem`: the certificate as the API gives
 * it, leaf first, NULL for none or for the shared certificate) with
 * `policy`, as the module would at `now`. `why` gets the reason of a NO
 * or UNKNOWN.
 */
tool_accept tool_policy_judge(const tool_policy *policy, tool_level level,
                              const char *pem, time_t now, char *why,
                              size_t len);

#endif /* TOOL_ORIGIN_H */
