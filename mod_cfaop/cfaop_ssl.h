/* Licensed under the Apache License, Version 2.0; see LICENSE. */
/*
 * cfaop_ssl: mod_cfaop inside mod_ssl. For every enabled vhost the SSL_CTX
 * asks for a client certificate and verifies it against the zone policy;
 * the handshake is never failed here: the outcome is kept on the connection
 * (cfaop_conn.c) and each request decides (cfaop_request.c), where its vhost
 * and hostname are known. Verifications that mod_ssl starts for its own
 * SSLVerifyClient stay entirely mod_ssl's.
 */
#ifndef CFAOP_SSL_H
#define CFAOP_SSL_H

#include "httpd.h"

#include <openssl/ssl.h>

#include "cfaop_config.h"

/* mod_ssl's init_server and pre_handshake hooks. */
int cfaop_ssl_init_server(server_rec *s, apr_pool_t *p, int is_proxy,
                          SSL_CTX *ctx);
int cfaop_ssl_pre_handshake(conn_rec *c, SSL *ssl, int is_proxy);
/* post_config: this generation's cache of verified certificates. */
int cfaop_ssl_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp, server_rec *s);

/* The configuration of the vhost a server context belongs to. */
cfaop_srv_conf *cfaop_ssl_ctx_conf(SSL_CTX *ctx);
/* Whether handshakes on `ctx` ask for a certificate on mod_cfaop's behalf. */
int cfaop_ssl_ctx_is_ours(SSL_CTX *ctx);

#endif /* CFAOP_SSL_H */
