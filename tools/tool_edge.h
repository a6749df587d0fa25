/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * tool_edge: which certificate Cloudflare's edge presents to an origin for
 * a hostname, by Cloudflare's precedence: the hostname's association
 * (enabled: true with an active certificate) over zone-level AOP (on, with
 * an active certificate: the most recently uploaded) over global AOP (the
 * shared certificate); enabled: false presents none, and so does an SSL/TLS
 * mode in which AOP does not apply. The state is read from the API once;
 * the commands that change it describe their change on a copy, so that
 * the state after a change can be judged before it is made.
 */
#ifndef TOOL_EDGE_H
#define TOOL_EDGE_H

#include <jansson.h>

#include "tool.h"
#include "tool_local.h"
#include "tool_origin.h"

typedef struct tool_edge {
    char ssl_mode[32];
    int global_on;
    int zone_on;
    json_t *zone_certs; /* tool_certs_view objects */
    json_t *assocs;     /* hostname -> the API's association object */
} tool_edge;

typedef struct tool_presented {
    tool_level level;
    const json_t *cert; /* the certificate or association object, or NULL */
    const char *cert_id;
    const char *pem;
    const char *why;
} tool_presented;

/* Reads the settings, the zone certificates and the associations of HOSTS. */
int tool_edge_load(tool_ctx *ctx, const char *const *hosts, size_t nhosts,
                   tool_edge *e);
int tool_edge_copy(const tool_edge *src, tool_edge *dst);
void tool_edge_free(tool_edge *e);

void tool_edge_presents(const tool_edge *e, const char *host,
                        tool_presented *out);
/* 1 when the edge presents the same thing in both states. */
int tool_presented_same(const tool_presented *a, const tool_presented *b);

/* Changes of the state (on a copy). enabled: 1 true, 0 false, -1 voids. */
int tool_edge_set_assoc(tool_edge *e, const char *host, const char *cert_id,
                        const char *pem, int enabled);
/* CERT_ID deleted: gone from the zone certificates and from every
 * association that used it. */
int tool_edge_drop_cert(tool_edge *e, const char *cert_id);
/* A local certificate as the API will list it once active (id ID). */
json_t *tool_edge_local_view(const tool_local_cert *lc, const char *id);

#endif /* TOOL_EDGE_H */
