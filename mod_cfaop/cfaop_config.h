/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_config: the directives, per-server configuration with a tri-state
 * merge, the per-generation policies built from it, and what configtest
 * checks.
 */
#ifndef CFAOP_CONFIG_H
#define CFAOP_CONFIG_H

#include "apr_hash.h"

#include "httpd.h"
#include "http_config.h"

#include <openssl/ssl.h>

#include "cfaop_registry.h"

#define CFAOP_UNSET (-1)

typedef enum {
    CFAOP_MODE_ENFORCE = 0,
    CFAOP_MODE_REPORT = 1
} cfaop_mode;

/* Where a directive was written, for messages after parsing. */
typedef struct cfaop_origin {
    const char *file;
    int line;
} cfaop_origin;

/* The rules written for one hostname (CFAOPHostname* directives). */
typedef struct cfaop_hostrule {
    const char *hostname;             /* normalised */
    apr_array_header_t *anchor_files; /* const cfaop_certfile * */
    apr_array_header_t *pins;         /* cfaop_pin */
    apr_array_header_t *crls;         /* cfaop_crlref */
    cfaop_origin origin;              /* first directive for this hostname */
} cfaop_hostrule;

typedef struct cfaop_srv_conf {
    /* as configured; CFAOP_UNSET / NULL when not written in this scope */
    int engine;
    int mode;
    apr_array_header_t *anchor_files; /* const cfaop_certfile * */
    apr_array_header_t *pins;         /* cfaop_pin */
    apr_array_header_t *crls;         /* cfaop_crlref */
    apr_hash_t *hostrules;            /* hostname -> cfaop_hostrule */
    const char *remote_ip_header;     /* CFAOPRemoteIPHeader */
    apr_array_header_t *edge_headers; /* CFAOPEdgeHeaders, const char * */
    cfaop_origin engine_origin;
    cfaop_origin rules_origin;        /* first anchor/pin directive written
                                         in this very scope (not inherited) */

    /* derived per configuration generation (check_config, init_server) */
    server_rec *server;
    const cfaop_policy *zone_policy;
    apr_hash_t *host_policies;        /* hostname -> const cfaop_policy */
    int tls;                          /* mod_ssl serves it (init_server ran) */
    int index;                        /* among enabled vhosts, for counters */
    int remote_ip_warned;             /* a malformed address was logged */
    int ctx_hooked;                   /* init_server attached our policy */
    void (*modssl_info_cb)(const SSL *ssl, int where, int ret);
} cfaop_srv_conf;

extern const command_rec cfaop_config_cmds[];

void *cfaop_config_create_srv(apr_pool_t *p, server_rec *s);
void *cfaop_config_merge_srv(apr_pool_t *p, void *basev, void *addv);

cfaop_srv_conf *cfaop_config_get(server_rec *s);
int cfaop_config_enabled(const cfaop_srv_conf *sc);
cfaop_mode cfaop_config_mode(const cfaop_srv_conf *sc);

/* The policy that governs `hostname` (may be NULL) in this vhost, and
 * whether it is the hostname-level one. */
const cfaop_policy *cfaop_config_select(const cfaop_srv_conf *sc,
                                        const char *hostname, int *hostname_scope);

/* check_config: builds every enabled vhost's policies; warns about rules
 * that can never apply. */
int cfaop_config_check(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s);
/* post_config, after mod_ssl: warns about enabled vhosts without TLS. */
int cfaop_config_post(apr_pool_t *pconf, apr_pool_t *plog,
                      apr_pool_t *ptemp, server_rec *s);

#endif /* CFAOP_CONFIG_H */
